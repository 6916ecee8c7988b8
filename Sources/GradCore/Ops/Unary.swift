import Foundation

/// Pointwise functions, each with its backward rule beside it. Functions of real numbers
/// (`exp`, `log`, ...) turn integer input into float32, as PyTorch does.
extension Tensor {
    @inline(__always)
    private func floatMap(_ f: (Float) -> Float) throws -> Tensor {
        try Kernel.map(converted(to: .float32), Float.self, to: .float32, f)
    }

    public func neg() throws -> Tensor {
        if dtype == .bool {
            throw TensorError.runtime("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        }
        let out = dtype == .int64 ? try Kernel.map(self, Int64.self, to: .int64) { 0 &- $0 }
                                  : try floatMap { -$0 }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("NegBackward0", inputs: [self], output: out) { _, g in [try g.neg()] }
    }

    public func exp() throws -> Tensor {
        let out = try floatMap { Foundation.exp($0) }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("ExpBackward0", inputs: [self], output: out, saveOutput: true) { ctx, g in
            [try g.mul(ctx.output())]
        }
    }

    public func log() throws -> Tensor {
        let out = try floatMap { Foundation.log($0) }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("LogBackward0", inputs: [self], output: out, save: [self]) { ctx, g in
            [try g.div(ctx.saved(0))]
        }
    }

    public func sqrt() throws -> Tensor {
        let out = try floatMap { $0.squareRoot() }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("SqrtBackward0", inputs: [self], output: out, saveOutput: true) { ctx, g in
            [try g.div(ctx.output().mul(Tensor.wrapping(.float(2))))]
        }
    }

    public func abs() throws -> Tensor {
        let out: Tensor
        switch dtype {
        case .int64: out = try Kernel.map(self, Int64.self, to: .int64) { $0 == .min ? $0 : Swift.abs($0) }
        case .bool: out = try freshCopy()
        case .float32: out = try floatMap { Swift.abs($0) }
        }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("AbsBackward0", inputs: [self], output: out, save: [self]) { ctx, g in
            [try g.mul(ctx.saved(0).sign())]
        }
    }

    /// -1, 0 or 1 per element. Recorded like any op (`SignBackward0`), with the gradient
    /// zero everywhere, as PyTorch does.
    public func sign() throws -> Tensor {
        switch dtype {
        case .int64: return try Kernel.map(self, Int64.self, to: .int64) { (v: Int64) -> Int64 in v > 0 ? 1 : (v < 0 ? -1 : 0) }
        case .bool: return try freshCopy()
        case .float32:
            let out = try floatMap { $0 > 0 ? 1 : ($0 < 0 ? -1 : ($0.isNaN ? .nan : 0)) }
            guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
            return try Recorder.record("SignBackward0", inputs: [self], output: out) { _, g in
                [try g.mul(Tensor.wrapping(.float(0)))]
            }
        }
    }

    public func sin() throws -> Tensor {
        let out = try floatMap { Foundation.sin($0) }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("SinBackward0", inputs: [self], output: out, save: [self]) { ctx, g in
            [try g.mul(ctx.saved(0).cos())]
        }
    }

    public func cos() throws -> Tensor {
        let out = try floatMap { Foundation.cos($0) }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("CosBackward0", inputs: [self], output: out, save: [self]) { ctx, g in
            [try g.mul(ctx.saved(0).sin().neg())]
        }
    }

    public func tanh() throws -> Tensor {
        let out = try floatMap(Tensor.fastTanh)
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("TanhBackward0", inputs: [self], output: out, saveOutput: true) { ctx, g in
            let y = try ctx.output()
            if let fused = try Tensor.fusedBackward(g, y, { g, y in g * (1 - y * y) }) { return [fused] }
            return [try g.mul(Tensor.wrapping(.float(1)).sub(y.mul(y)))]
        }
    }

    /// tanh as a rational function on [-9, 9] (where float tanh is already ±1 beyond):
    /// pure arithmetic, so the loop vectorizes, accurate to a few units in the last place.
    @inline(__always)
    static func fastTanh(_ a: Float) -> Float {
        if a.isNaN { return a }
        if Swift.abs(a) < 0.0004 { return a }
        let x = Swift.min(Swift.max(a, -9), 9)
        let x2 = x * x
        var p: Float = -2.76076847742355e-16
        p = p * x2 + 2.00018790482477e-13
        p = p * x2 + -8.60467152213735e-11
        p = p * x2 + 5.12229709037114e-08
        p = p * x2 + 1.48572235717979e-05
        p = p * x2 + 6.37261928875436e-04
        p = p * x2 + 4.89352455891786e-03
        p *= x
        var q: Float = 1.19825839466702e-06
        q = q * x2 + 1.18534705686654e-04
        q = q * x2 + 2.26843463243900e-03
        q = q * x2 + 4.89352518554385e-03
        return p / q
    }

    /// A pointwise backward rule `f(grad, output)` in one pass, as PyTorch's
    /// tanh_backward / sigmoid_backward / threshold_backward kernels do, when no graph of the
    /// gradient is being built; nil when one is (create_graph), so the caller composes
    /// differentiable ops instead.
    static func fusedBackward(_ g: Tensor, _ y: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor? {
        guard !Recorder.shouldRecord(g, y), g.dtype == .float32, y.dtype == .float32 else { return nil }
        return try Kernel.zip(g, y, Float.self, Float.self, to: .float32, f)
    }

    public func sigmoid() throws -> Tensor {
        // PyTorch's formula, 1 / (1 + e^-v): where e^-v overflows to inf it gives 0, as it
        // should, and one expression per element keeps the loop free of branches.
        let out = try floatMap { v in 1 / (1 + Foundation.exp(-v)) }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("SigmoidBackward0", inputs: [self], output: out, saveOutput: true) { ctx, g in
            let y = try ctx.output()
            if let fused = try Tensor.fusedBackward(g, y, { g, y in g * (y * (1 - y)) }) { return [fused] }
            return [try g.mul(y.mul(Tensor.wrapping(.float(1)).sub(y)))]
        }
    }

    public func relu() throws -> Tensor {
        let out: Tensor
        switch dtype {
        case .float32: out = try Kernel.map(self, Float.self, to: .float32) { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
        case .int64: out = try Kernel.map(self, Int64.self, to: .int64) { Swift.max($0, 0) }
        case .bool: throw TensorError.runtime("\"clamp_min_cpu\" not implemented for 'Bool'")
        }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("ReluBackward0", inputs: [self], output: out, saveOutput: true) { ctx, g in
            let y = try ctx.output()
            // PyTorch's threshold_backward: the gradient passes where the output is not <= 0.
            if let fused = try Tensor.fusedBackward(g, y, { g, y in y <= 0 ? 0 : g }) { return [fused] }
            return [try g.mul(y.gt(Tensor.wrapping(.int(0))).converted(to: g.dtype))]
        }
    }

    /// A copy with its own memory; gradient passes straight through.
    public func clone() throws -> Tensor {
        let out = try freshCopy()
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("CloneBackward0", inputs: [self], output: out) { _, g in [g] }
    }

    /// `to(dtype)`: a converted copy (self when the dtype already matches). Never recorded:
    /// only float tensors require grad, and float to float is the tensor itself.
    public func to(_ target: DType) throws -> Tensor {
        try converted(to: target)
    }
}
