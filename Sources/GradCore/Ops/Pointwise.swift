import Foundation

/// Functions applied element by element: each is one registry entry holding its kernel, its
/// backward rule and its help, from which the method (`x.exp()`), the function
/// (`torch.exp(x)`), the in-place form (`x.exp_()`), completion and `:help` all come.
/// Functions of real numbers turn integer input into float32, as PyTorch does.
extension Op {
    static let pointwiseOps: [Op] = [
        .pointwise("neg", node: "NegBackward0", help: "-x elementwise", dtypeRule: .sameAsInput,
                   forward: { x in
                       if x.dtype == .bool {
                           throw TensorError.runtime("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
                       }
                       return x.dtype == .int64 ? try Kernel.map(x, Int64.self, to: .int64) { 0 &- $0 } : try x.floatMap { -$0 }
                   },
                   backward: { g, _ in try g.neg() }),
        .pointwise("exp", node: "ExpBackward0", saves: .output, help: "e**x elementwise",
                   forward: { x in try x.floatMap { Foundation.exp($0) } },
                   backward: { g, saved in try g.mul(saved.output()) }),
        .pointwise("log", node: "LogBackward0", saves: .input, help: "natural logarithm", domain: .positive,
                   forward: { x in try x.floatMap { Foundation.log($0) } },
                   backward: { g, saved in try g.div(saved.input()) }),
        .pointwise("log1p", node: "Log1PBackward0", saves: .input, help: "log(1 + x), accurate for small x", domain: .positive,
                   forward: { x in try x.floatMap { Foundation.log1p($0) } },
                   backward: { g, saved in try g.div(saved.input().add(Tensor.wrapping(.float(1)))) }),
        .pointwise("sqrt", node: "SqrtBackward0", saves: .output, help: "square root", domain: .positive,
                   forward: { x in try x.floatMap { $0.squareRoot() } },
                   backward: { g, saved in try g.div(saved.output().mul(Tensor.wrapping(.float(2)))) }),
        .pointwise("abs", node: "AbsBackward0", saves: .input, help: "absolute value; gradient 0 at 0", dtypeRule: .sameAsInput,
                   forward: { x in
                       switch x.dtype {
                       case .int64: return try Kernel.map(x, Int64.self, to: .int64) { $0 == .min ? $0 : Swift.abs($0) }
                       case .bool: return try x.freshCopy()
                       case .float32: return try x.floatMap { Swift.abs($0) }
                       }
                   },
                   backward: { g, saved in try g.mul(saved.input().sign()) }),
        // Recorded like any op, with the gradient zero everywhere, as PyTorch does.
        .pointwise("sign", node: "SignBackward0", help: "-1, 0 or 1 per element", dtypeRule: .sameAsInput,
                   forward: { x in
                       switch x.dtype {
                       case .int64: return try Kernel.map(x, Int64.self, to: .int64) { (v: Int64) -> Int64 in v > 0 ? 1 : (v < 0 ? -1 : 0) }
                       case .bool: return try x.freshCopy()
                       case .float32: return try x.floatMap { $0 > 0 ? 1 : ($0 < 0 ? -1 : ($0.isNaN ? .nan : 0)) }
                       }
                   },
                   backward: { g, _ in try g.mul(Tensor.wrapping(.float(0))) }),
        // Rounding: integer tensors come back as they are; the gradient is zero everywhere.
        .pointwise("floor", node: "FloorBackward0", help: "the largest integer <= x, elementwise", dtypeRule: .sameAsInput,
                   forward: { x in x.dtype == .float32 ? try x.floatMap { $0.rounded(.down) } : try x.freshCopy() },
                   backward: { g, _ in try g.mul(Tensor.wrapping(.float(0))) }),
        .pointwise("ceil", node: "CeilBackward0", help: "the smallest integer >= x, elementwise", dtypeRule: .sameAsInput,
                   forward: { x in x.dtype == .float32 ? try x.floatMap { $0.rounded(.up) } : try x.freshCopy() },
                   backward: { g, _ in try g.mul(Tensor.wrapping(.float(0))) }),
        .pointwise("round", node: "RoundBackward0", help: "the nearest integer, halves to even, elementwise", dtypeRule: .sameAsInput,
                   forward: { x in x.dtype == .float32 ? try x.floatMap { $0.rounded(.toNearestOrEven) } : try x.freshCopy() },
                   backward: { g, _ in try g.mul(Tensor.wrapping(.float(0))) }),
        .pointwise("trunc", node: "TruncBackward0", help: "x rounded toward zero, elementwise", dtypeRule: .sameAsInput,
                   forward: { x in x.dtype == .float32 ? try x.floatMap { $0.rounded(.towardZero) } : try x.freshCopy() },
                   backward: { g, _ in try g.mul(Tensor.wrapping(.float(0))) }),
        .pointwise("sin", node: "SinBackward0", saves: .input, help: "sine",
                   forward: { x in try x.floatMap { Foundation.sin($0) } },
                   backward: { g, saved in try g.mul(saved.input().cos()) }),
        .pointwise("cos", node: "CosBackward0", saves: .input, help: "cosine",
                   forward: { x in try x.floatMap { Foundation.cos($0) } },
                   backward: { g, saved in try g.mul(saved.input().sin().neg()) }),
        .pointwise("atan", node: "AtanBackward0", saves: .input, help: "inverse tangent, in (-pi/2, pi/2)",
                   forward: { x in try x.floatMap { Foundation.atan($0) } },
                   backward: { g, saved in
                       let x = try saved.input()
                       return try g.div(x.mul(x).add(Tensor.wrapping(.float(1))))
                   }),
        .pointwise("tanh", node: "TanhBackward0", saves: .output, help: "hyperbolic tangent",
                   forward: { x in try x.floatMap(Tensor.fastTanh) },
                   backward: { g, saved in
                       let y = try saved.output()
                       if let fused = try Tensor.fusedBackward(g, y, { g, y in g * (1 - y * y) }) { return fused }
                       return try g.mul(Tensor.wrapping(.float(1)).sub(y.mul(y)))
                   }),
        // PyTorch's formula, 1 / (1 + e^-v): where e^-v overflows to inf it gives 0, as it
        // should, and one expression per element keeps the loop free of branches.
        .pointwise("sigmoid", node: "SigmoidBackward0", saves: .output, help: "1 / (1 + exp(-x))",
                   forward: { x in try x.floatMap { v in 1 / (1 + Foundation.exp(-v)) } },
                   backward: { g, saved in
                       let y = try saved.output()
                       if let fused = try Tensor.fusedBackward(g, y, { g, y in g * (y * (1 - y)) }) { return fused }
                       return try g.mul(y.mul(Tensor.wrapping(.float(1)).sub(y)))
                   }),
        .pointwise("relu", node: "ReluBackward0", saves: .output, help: "max(x, 0) elementwise; gradient 0 at 0",
                   dtypeRule: .sameAsInput,
                   forward: { x in
                       switch x.dtype {
                       case .float32: return try Kernel.map(x, Float.self, to: .float32) { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
                       case .int64: return try Kernel.map(x, Int64.self, to: .int64) { Swift.max($0, 0) }
                       case .bool: throw TensorError.runtime("\"clamp_min_cpu\" not implemented for 'Bool'")
                       }
                   },
                   backward: { g, saved in
                       let y = try saved.output()
                       // PyTorch's threshold_backward: the gradient passes where the output is not <= 0.
                       if let fused = try Tensor.fusedBackward(g, y, { g, y in y <= 0 ? 0 : g }) { return fused }
                       return try g.mul(y.gt(Tensor.wrapping(.int(0))).converted(to: g.dtype))
                   }),
    ]

    /// A function of one tensor applied element by element, with its backward rule
    /// `backward(gradient, saved)`; its in-place form (`name_`) comes with it.
    static func pointwise(_ name: String, node: String, saves: Saved = .nothing, help: String,
                          dtypeRule: DTypeRule = .floatResult, domain: Domain = .real,
                          forward: @escaping @Sendable (Tensor) throws -> Tensor,
                          backward: @escaping @Sendable (Tensor, SavedForBackward) throws -> Tensor) -> Op {
        let apply: @Sendable (Tensor) throws -> Tensor = { x in
            let out = try forward(x)
            guard Recorder.shouldRecord(x) else { return Recorder.unrecorded(out, x) }
            return try Recorder.record(node, inputs: [x], output: out, save: saves == .input ? [x] : [],
                                       saveOutput: saves == .output) { ctx, g in
                [try backward(g, SavedForBackward(context: ctx))]
            }
        }
        return Op(name, help: help, node: node, saves: saves, dtypeRule: dtypeRule, domain: domain,
                  inPlace: { x, _ in try x.applyInPlace(apply) }, run: { x, _ in .tensor(try apply(x)) })
    }
}

/// What a pointwise backward rule reads: the input or the result its op saved, checked
/// against in-place changes on access.
struct SavedForBackward {
    let context: BackwardContext
    func input() throws -> Tensor { try context.saved(0) }
    func output() throws -> Tensor { try context.output() }
}

/// The pointwise ops the core itself composes (backward rules, layers, optimizers).
extension Tensor {
    private static let negOp = OpRegistry.require("neg"), expOp = OpRegistry.require("exp")
    private static let logOp = OpRegistry.require("log"), sqrtOp = OpRegistry.require("sqrt")
    private static let absOp = OpRegistry.require("abs"), signOp = OpRegistry.require("sign")
    private static let sinOp = OpRegistry.require("sin"), cosOp = OpRegistry.require("cos")
    private static let tanhOp = OpRegistry.require("tanh"), sigmoidOp = OpRegistry.require("sigmoid")
    private static let reluOp = OpRegistry.require("relu")

    package func neg() throws -> Tensor { try Tensor.negOp.unary(self) }
    package func exp() throws -> Tensor { try Tensor.expOp.unary(self) }
    package func log() throws -> Tensor { try Tensor.logOp.unary(self) }
    package func sqrt() throws -> Tensor { try Tensor.sqrtOp.unary(self) }
    package func abs() throws -> Tensor { try Tensor.absOp.unary(self) }
    package func sign() throws -> Tensor { try Tensor.signOp.unary(self) }
    package func sin() throws -> Tensor { try Tensor.sinOp.unary(self) }
    package func cos() throws -> Tensor { try Tensor.cosOp.unary(self) }
    package func tanh() throws -> Tensor { try Tensor.tanhOp.unary(self) }
    package func sigmoid() throws -> Tensor { try Tensor.sigmoidOp.unary(self) }
    package func relu() throws -> Tensor { try Tensor.reluOp.unary(self) }

    /// `f` over the elements as float32 (integer input converted first).
    @inline(__always)
    func floatMap(_ f: (Float) -> Float) throws -> Tensor {
        try Kernel.map(converted(to: .float32), Float.self, to: .float32, f)
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

    /// A copy with its own memory; gradient passes straight through.
    package func clone() throws -> Tensor {
        let out = try freshCopy()
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("CloneBackward0", inputs: [self], output: out) { _, g in [g] }
    }

    /// `to(dtype)`: a converted copy (self when the dtype already matches). Never recorded:
    /// only float tensors require grad, and float to float is the tensor itself.
    package func to(_ target: DType) throws -> Tensor {
        try converted(to: target)
    }
}
