import Foundation

/// Binary arithmetic with PyTorch's broadcasting, type promotion and backward rules.
/// Broadcasting in backward is undone by `sumTo`, so each rule stays one line.
extension Tensor {
    /// A 0-d tensor for a Python number operand (`x * 2`): never an inference tensor and
    /// never requiring grad, so it appears as `(None, 0)` in `next_functions`.
    package static func wrapping(_ s: Scalar) -> Tensor {
        let storage = try! Storage(dtype: s.dtype, count: 1)
        switch s {
        case .float(let d): storage.pointer(Float.self)[0] = Float(d)
        case .int(let i): storage.pointer(Int64.self)[0] = i
        case .bool(let b): storage.pointer(Bool.self)[0] = b
        }
        let t = Tensor(storage: storage, shape: [], strides: [], offset: 0, isInference: false)
        t.isWrappedNumber = true
        return t
    }

    /// Promotion as PyTorch does it for these three dtypes: the higher category wins.
    static func promote(_ a: DType, _ b: DType) -> DType { Swift.max(a, b) }

    /// Runs a dtype-dispatched elementwise binary kernel on promoted operands.
    @inline(__always)
    static func arithmetic(_ a: Tensor, _ b: Tensor, dtype: DType,
                           float f: (Float, Float) -> Float,
                           int i: (Int64, Int64) -> Int64,
                           bool l: ((Bool, Bool) -> Bool)? = nil) throws -> Tensor {
        let x = try a.converted(to: dtype), y = try b.converted(to: dtype)
        switch dtype {
        case .float32: return try Kernel.zip(x, y, Float.self, Float.self, to: .float32, f)
        case .int64: return try Kernel.zip(x, y, Int64.self, Int64.self, to: .int64, i)
        case .bool:
            if let l { return try Kernel.zip(x, y, Bool.self, Bool.self, to: .bool, l) }
            let x2 = try x.converted(to: .int64), y2 = try y.converted(to: .int64)
            return try Kernel.zip(x2, y2, Int64.self, Int64.self, to: .int64, i)
        }
    }

    // MARK: add, sub, mul, div

    package func add(_ other: Tensor) throws -> Tensor {
        let out = try Tensor.arithmetic(self, other, dtype: Tensor.promote(dtype, other.dtype),
                                        float: +, int: (&+), bool: { $0 || $1 })
        let (sa, sb) = (shape, other.shape)
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        return try Recorder.record("AddBackward0", inputs: [self, other], output: out) { ctx, g in
            [ctx.needsGrad(0) ? try g.sumTo(sa) : nil, ctx.needsGrad(1) ? try g.sumTo(sb) : nil]
        }
    }

    package func sub(_ other: Tensor) throws -> Tensor {
        if dtype == .bool && other.dtype == .bool {
            throw TensorError.runtime("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.")
        }
        let out = try Tensor.arithmetic(self, other, dtype: Tensor.promote(dtype, other.dtype), float: -, int: (&-))
        let (sa, sb) = (shape, other.shape)
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        return try Recorder.record("SubBackward0", inputs: [self, other], output: out) { ctx, g in
            [ctx.needsGrad(0) ? try g.sumTo(sa) : nil, ctx.needsGrad(1) ? try g.neg().sumTo(sb) : nil]
        }
    }

    /// `scalar - self`, PyTorch's `rsub` (`1 - x` records `RsubBackward1`).
    package func rsub(_ scalar: Scalar) throws -> Tensor {
        let other = Tensor.wrapping(scalar)
        if dtype == .bool && other.dtype == .bool {
            throw TensorError.runtime("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.")
        }
        let out = try Tensor.arithmetic(other, self, dtype: Tensor.promote(dtype, other.dtype), float: -, int: (&-))
        let sa = shape
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("RsubBackward1", inputs: [self], output: out) { _, g in
            [try g.neg().sumTo(sa)]
        }
    }

    package func mul(_ other: Tensor) throws -> Tensor {
        let out = try Tensor.arithmetic(self, other, dtype: Tensor.promote(dtype, other.dtype),
                                        float: *, int: (&*), bool: { $0 && $1 })
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        let (sa, sb) = (shape, other.shape)
        // Each operand is saved only if the other one's gradient needs it.
        let saves = [other.requiresGrad ? self : nil, requiresGrad ? other : nil]
        let saved = saves.compactMap { $0 }
        let aIndex = saves[0] == nil ? -1 : 0
        let bIndex = saves[1] == nil ? -1 : (aIndex == 0 ? 1 : 0)
        return try Recorder.record("MulBackward0", inputs: [self, other], output: out, save: saved) { ctx, g in
            [ctx.needsGrad(0) ? try g.mul(ctx.saved(bIndex)).sumTo(sa) : nil,
             ctx.needsGrad(1) ? try g.mul(ctx.saved(aIndex)).sumTo(sb) : nil]
        }
    }

    /// True division: the result is always floating point.
    package func div(_ other: Tensor) throws -> Tensor {
        let out = try Tensor.arithmetic(self, other, dtype: .float32, float: /, int: { $0 / $1 })
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        let (sa, sb) = (shape, other.shape)
        let save = other.requiresGrad ? [self, other] : [other]
        let bIndex = save.count - 1
        return try Recorder.record("DivBackward0", inputs: [self, other], output: out, save: save) { ctx, g in
            let b = try ctx.saved(bIndex)
            let ga = ctx.needsGrad(0) ? try g.div(b).sumTo(sa) : nil
            var gb: Tensor? = nil
            if ctx.needsGrad(1) {
                let a = try ctx.saved(0)
                gb = try g.neg().mul(a).div(b.mul(b)).sumTo(sb)
            }
            return [ga, gb]
        }
    }

    /// `//`: floor division; integers stay integers and refuse division by zero.
    package func floorDivide(_ other: Tensor) throws -> Tensor {
        let dt = Tensor.promote(dtype, other.dtype)
        if dt != .float32 { try other.checkNoIntegerZero() }
        let out = try Tensor.arithmetic(self, other, dtype: dt == .bool ? .int64 : dt,
                                        float: { ($0 / $1).rounded(.down) },
                                        int: { a, b in
                                            // Int64.min // -1 wraps to Int64.min, as in PyTorch.
                                            let q = a.dividedReportingOverflow(by: b).partialValue
                                            let r = a.remainderReportingOverflow(dividingBy: b).partialValue
                                            return (r != 0 && ((a < 0) != (b < 0))) ? q &- 1 : q
                                        })
        // PyTorch records floor_divide with a node that refuses to differentiate.
        guard out.dtype.isFloatingPoint, Recorder.shouldRecord(self, other) else { return out }
        return try Recorder.record("NotImplemented", inputs: [self, other], output: out) { _, _ in
            throw TensorError.runtime("derivative for aten::floor_divide is not implemented")
        }
    }

    /// `%`: Python's remainder, with the sign of the divisor.
    package func remainder(_ other: Tensor) throws -> Tensor {
        let dt = Tensor.promote(dtype, other.dtype)
        if dt != .float32 { try other.checkNoIntegerZero() }
        let out = try Tensor.arithmetic(self, other, dtype: dt == .bool ? .int64 : dt,
                                        float: { a, b in
                                            let r = fmodf(a, b)
                                            return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r
                                        },
                                        int: { a, b in
                                            // Int64.min % -1 is 0, as in PyTorch.
                                            let r = a.remainderReportingOverflow(dividingBy: b).partialValue
                                            return (r != 0 && ((r < 0) != (b < 0))) ? r &+ b : r
                                        })
        let (sa, sb) = (shape, other.shape)
        // A Python number as divisor is PyTorch's Scalar overload (RemainderBackward0); a
        // tensor divisor gets the gradient -g * floor(self / other).
        if other.isWrappedNumber {
            guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
            return try Recorder.record("RemainderBackward0", inputs: [self], output: out) { _, g in
                [try g.sumTo(sa)]
            }
        }
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        return try Recorder.record("RemainderBackward1", inputs: [self, other], output: out, save: [self, other]) { ctx, g in
            guard ctx.needsGrad(1) else { return [try g.sumTo(sa), nil] }
            let quotient = try GradModeState.withGradMode(.noGrad) { try ctx.saved(0).floorDivide(ctx.saved(1)) }
            return [ctx.needsGrad(0) ? try g.sumTo(sa) : nil, try g.mul(quotient).neg().sumTo(sb)]
        }
    }

    private func checkNoIntegerZero() throws {
        let c = try converted(to: .int64)
        for v in try c.scalars() where v.int64Value == 0 {
            throw TensorError.runtime("ZeroDivisionError")
        }
    }

    /// `x ** e`, `pow(x, e)`.
    package func pow(_ exponent: Tensor) throws -> Tensor {
        let dt = Tensor.promote(dtype, exponent.dtype)
        if dt == .int64 || dt == .bool {
            for e in try exponent.converted(to: .int64).scalars() where e.int64Value < 0 {
                throw TensorError.runtime("Integers to negative integer powers are not allowed.")
            }
        }
        let out = try Tensor.arithmetic(self, exponent, dtype: dt == .bool ? .int64 : dt,
                                        float: { Foundation.pow($0, $1) },
                                        int: { b, e in Tensor.integerPower(b, e) })
        let sa = shape, sb = exponent.shape
        if exponent.isWrappedNumber {
            // PowBackward0: d/dx x^e = e * x^(e-1); the exponent is kept as a plain number,
            // so only x is saved.
            guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
            let e = try exponent.item()
            return try Recorder.record("PowBackward0", inputs: [self], output: out, save: [self], scalars: [("exponent", e)]) { ctx, g in
                let x = try ctx.saved(0)
                // PyTorch's pow_backward: a zero exponent gives zeros (not 0 * x^-1, NaN at 0).
                if e.doubleValue == 0 { return [try g.mul(Tensor.wrapping(.float(0))).sumTo(sa)] }
                let d = try Tensor.wrapping(e).mul(x.pow(Tensor.wrapping(.float(e.doubleValue - 1))))
                return [try g.mul(d).sumTo(sa)]
            }
        }
        let zero = Tensor.wrapping(.float(0))
        // PyTorch's pow_backward_exponent: where the base is 0 and the exponent >= 0 the
        // gradient is 0 (not 0 * log(0), NaN).
        func exponentGrad(_ g: Tensor, base x: Tensor, exponent e: Tensor, output: Tensor) throws -> Tensor {
            let lost = try x.eq(zero).logicalAnd(e.ge(zero))
            return try g.mul(output.mul(x.log()).maskedFill(lost, zero))
        }
        if isWrappedNumber {
            // `2 ** x`: PowBackward2, the base is a plain number.
            guard Recorder.shouldRecord(exponent) else { return Recorder.unrecorded(out, exponent) }
            let base = self
            return try Recorder.record("PowBackward2", inputs: [exponent], output: out, save: [exponent], saveOutput: true) { ctx, g in
                [try exponentGrad(g, base: base, exponent: ctx.saved(0), output: ctx.output()).sumTo(sb)]
            }
        }
        guard Recorder.shouldRecord(self, exponent) else { return Recorder.unrecorded(out, self, exponent) }
        return try Recorder.record("PowBackward1", inputs: [self, exponent], output: out,
                                   save: [self, exponent], saveOutput: true) { ctx, g in
            let x = try ctx.saved(0), e = try ctx.saved(1)
            let one = Tensor.wrapping(.float(1))
            // PyTorch's pow_backward_self: a zero exponent gives 0 (not 0 * x^-1, NaN at 0).
            let gx = ctx.needsGrad(0) ? try g.mul(e.mul(x.pow(e.sub(one))).maskedFill(e.eq(zero), zero)).sumTo(sa) : nil
            let ge = ctx.needsGrad(1) ? try exponentGrad(g, base: x, exponent: e, output: ctx.output()).sumTo(sb) : nil
            return [gx, ge]
        }
    }

    static func integerPower(_ base: Int64, _ exp: Int64) -> Int64 {
        var result: Int64 = 1, b = base, e = exp
        while e > 0 {
            if e & 1 == 1 { result = result &* b }
            b = b &* b
            e >>= 1
        }
        return result
    }

    // MARK: maximum, minimum, clamp, where

    package func maximum(_ other: Tensor) throws -> Tensor {
        try extremum(other, name: "MaximumBackward0", float: { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) },
                     int: { Swift.max($0, $1) }, bool: { $0 || $1 }, pick: { try $0.gt($1) })
    }

    package func minimum(_ other: Tensor) throws -> Tensor {
        try extremum(other, name: "MinimumBackward0", float: { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) },
                     int: { Swift.min($0, $1) }, bool: { $0 && $1 }, pick: { try $0.lt($1) })
    }

    private func extremum(_ other: Tensor, name: String, float: @escaping (Float, Float) -> Float,
                          int: @escaping (Int64, Int64) -> Int64, bool: @escaping (Bool, Bool) -> Bool,
                          pick: @escaping (Tensor, Tensor) throws -> Tensor) throws -> Tensor {
        let out = try Tensor.arithmetic(self, other, dtype: Tensor.promote(dtype, other.dtype),
                                        float: float, int: int, bool: bool)
        let (sa, sb) = (shape, other.shape)
        // Ties split the gradient in half between the operands, as PyTorch does.
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        return try Recorder.record(name, inputs: [self, other], output: out, save: [self, other]) { ctx, g in
            let a = try ctx.saved(0), b = try ctx.saved(1)
            let wins = try pick(a, b).converted(to: .float32)
            let ties = try a.eq(b).converted(to: .float32).mul(Tensor.wrapping(.float(0.5)))
            let wa = try wins.add(ties)
            let wb = try Tensor.wrapping(.float(1)).sub(wa)
            return [ctx.needsGrad(0) ? try g.mul(wa).sumTo(sa) : nil,
                    ctx.needsGrad(1) ? try g.mul(wb).sumTo(sb) : nil]
        }
    }

    /// `clamp(min:max:)`; gradient passes where the input lies within the bounds, bounds included.
    package func clamp(min lo: Scalar?, max hi: Scalar?) throws -> Tensor {
        guard lo != nil || hi != nil else {
            throw TensorError.runtime("torch.clamp: At least one of 'min' or 'max' must not be None")
        }
        var dt = dtype
        for b in [lo, hi].compactMap({ $0 }) { dt = Tensor.promote(dt, b.dtype) }
        if dt == .bool { dt = .int64 }
        let x = try converted(to: dt)
        let out: Tensor
        switch dt {
        case .float32:
            let l = lo.map { Float($0.doubleValue) }, h = hi.map { Float($0.doubleValue) }
            out = try Kernel.map(x, Float.self, to: .float32) { v in
                if v.isNaN { return v }
                var r = v
                if let l, r < l { r = l }
                if let h, r > h { r = h }
                return r
            }
        default:
            let l = lo.map { $0.int64Value }, h = hi.map { $0.int64Value }
            out = try Kernel.map(x, Int64.self, to: .int64) { v in
                var r = v
                if let l, r < l { r = l }
                if let h, r > h { r = h }
                return r
            }
        }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        let bounds = [("min", lo), ("max", hi)].compactMap { name, v in v.map { (name: name, value: $0) } }
        return try Recorder.record("ClampBackward1", inputs: [self], output: out, save: [self], scalars: bounds) { ctx, g in
            let x = try ctx.saved(0)
            var mask = try x.eq(x)
            if let lo { mask = try mask.logicalAnd(x.ge(Tensor.wrapping(lo))) }
            if let hi { mask = try mask.logicalAnd(x.le(Tensor.wrapping(hi))) }
            return [try g.mul(mask.converted(to: g.dtype))]
        }
    }

    /// `where(condition, self, other)`: picks from `self` where true, `other` elsewhere.
    package static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard condition.dtype == .bool else {
            throw TensorError.runtime("where expected condition to be a boolean tensor, but got a tensor with dtype \(condition.dtype.scalarTypeName)")
        }
        let dt = promote(a.dtype, b.dtype)
        let x = try a.converted(to: dt), y = try b.converted(to: dt)
        let out: Tensor
        switch dt {
        case .float32: out = try Kernel.zip3(condition, x, y, Bool.self, Float.self, Float.self, to: dt) { $0 ? $1 : $2 }
        case .int64: out = try Kernel.zip3(condition, x, y, Bool.self, Int64.self, Int64.self, to: dt) { $0 ? $1 : $2 }
        case .bool: out = try Kernel.zip3(condition, x, y, Bool.self, Bool.self, Bool.self, to: dt) { $0 ? $1 : $2 }
        }
        let (sa, sb) = (a.shape, b.shape)
        guard Recorder.shouldRecord(a, b) else { return Recorder.unrecorded(out, a, b) }
        return try Recorder.record("WhereBackward0", inputs: [a, b], output: out, save: [condition]) { ctx, g in
            let c = try ctx.saved(0)
            let zero = Tensor.wrapping(.float(0))
            return [ctx.needsGrad(0) ? try Tensor.where(c, g, zero).sumTo(sa) : nil,
                    ctx.needsGrad(1) ? try Tensor.where(c, zero, g).sumTo(sb) : nil]
        }
    }

    /// `masked_fill(mask, value)`: `value` where `mask` is true. The result keeps this
    /// tensor's dtype, as PyTorch's does; a tensor value gets its own gradient.
    package func maskedFill(_ mask: Tensor, _ value: Tensor) throws -> Tensor {
        guard mask.dtype == .bool else {
            throw TensorError.runtime("masked_fill_ only supports boolean masks, but got mask with dtype \(mask.dtype.name)")
        }
        guard value.rank == 0 else {
            throw TensorError.runtime("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with \(value.rank) dimension(s).")
        }
        let out = try GradModeState.withGradMode(.noGrad) {
            try Tensor.where(mask, value.converted(to: dtype), self).expand(try Shape.broadcast(shape, mask.shape)).freshCopy()
        }
        let sa = shape
        let zero = Tensor.wrapping(.float(0))
        if value.isWrappedNumber || !value.requiresGrad {
            guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
            return try Recorder.record(value.isWrappedNumber ? "MaskedFillBackward0" : "MaskedFillBackward1", inputs: [self],
                                       output: out, save: [mask]) { ctx, g in
                [try Tensor.where(ctx.saved(0), zero, g).sumTo(sa)]
            }
        }
        guard Recorder.shouldRecord(self, value) else { return Recorder.unrecorded(out, self, value) }
        return try Recorder.record("MaskedFillBackward1", inputs: [self, value], output: out, save: [mask]) { ctx, g in
            let m = try ctx.saved(0)
            return [ctx.needsGrad(0) ? try Tensor.where(m, zero, g).sumTo(sa) : nil,
                    ctx.needsGrad(1) ? try Tensor.where(m, g, zero).sum() : nil]
        }
    }

    // MARK: comparisons and logic (never differentiable)

    @inline(__always)
    private func compare(_ other: Tensor, float f: (Float, Float) -> Bool, int i: (Int64, Int64) -> Bool,
                         bool l: (Bool, Bool) -> Bool) throws -> Tensor {
        let dt = Tensor.promote(dtype, other.dtype)
        let x = try converted(to: dt), y = try other.converted(to: dt)
        switch dt {
        case .float32: return try Kernel.zip(x, y, Float.self, Float.self, to: .bool, f)
        case .int64: return try Kernel.zip(x, y, Int64.self, Int64.self, to: .bool, i)
        case .bool: return try Kernel.zip(x, y, Bool.self, Bool.self, to: .bool, l)
        }
    }

    package func eq(_ o: Tensor) throws -> Tensor { try compare(o, float: ==, int: ==, bool: ==) }
    package func ne(_ o: Tensor) throws -> Tensor { try compare(o, float: !=, int: !=, bool: !=) }
    package func lt(_ o: Tensor) throws -> Tensor { try compare(o, float: <, int: <, bool: { !$0 && $1 }) }
    package func le(_ o: Tensor) throws -> Tensor { try compare(o, float: <=, int: <=, bool: { !$0 || $1 }) }
    package func gt(_ o: Tensor) throws -> Tensor { try compare(o, float: >, int: >, bool: { $0 && !$1 }) }
    package func ge(_ o: Tensor) throws -> Tensor { try compare(o, float: >=, int: >=, bool: { $0 || !$1 }) }

    package func logicalAnd(_ o: Tensor) throws -> Tensor {
        try Kernel.zip(converted(to: .bool), o.converted(to: .bool), Bool.self, Bool.self, to: .bool) { $0 && $1 }
    }

    package func logicalOr(_ o: Tensor) throws -> Tensor {
        try Kernel.zip(converted(to: .bool), o.converted(to: .bool), Bool.self, Bool.self, to: .bool) { $0 || $1 }
    }

    package func logicalNot() throws -> Tensor {
        try Kernel.map(converted(to: .bool), Bool.self, to: .bool) { !$0 }
    }

    /// Reduces a broadcast gradient back to `target` by summing the expanded axes.
    package func sumTo(_ target: [Int]) throws -> Tensor {
        if shape == target { return self }
        var result = self
        let lead = rank - target.count
        if lead > 0 { result = try result.sum(dims: Array(0..<lead), keepdim: false) }
        var dims: [Int] = []
        for (i, s) in target.enumerated() where s == 1 && result.shape[i] != 1 { dims.append(i) }
        if !dims.isEmpty { result = try result.sum(dims: dims, keepdim: true) }
        return result
    }
}
