import Foundation

/// Creation functions. Like every op, they make inference tensors inside inference mode.
extension Tensor {
    /// A tensor from row-major Python numbers; `dtype` nil infers it as PyTorch does
    /// (any float makes float32, else any int makes int64, else bool).
    package convenience init(scalars: [Scalar], shape: [Int], dtype: DType? = nil, requiresGrad: Bool = false) throws {
        let n = try Shape.elementCount(shape)
        guard n == scalars.count else {
            throw TensorError.value("expected \(n) values for shape \(shape), got \(scalars.count)")
        }
        let dt = dtype ?? scalars.reduce(DType.bool) { Swift.max($0, $1.dtype) }
        try self.init(zeros: shape, dtype: scalars.isEmpty && dtype == nil ? .float32 : dt)
        switch self.dtype {
        case .float32:
            let p = storage.pointer(Float.self)
            for (i, s) in scalars.enumerated() { p[i] = Float(s.doubleValue) }
        case .int64:
            let p = storage.pointer(Int64.self)
            for (i, s) in scalars.enumerated() {
                if case .float(let d) = s, !(d.isFinite && Swift.abs(d) < 9.2e18) {
                    throw TensorError.runtime("value cannot be converted to type int64 without overflow")
                }
                p[i] = s.int64Value
            }
        case .bool:
            let p = storage.pointer(Bool.self)
            for (i, s) in scalars.enumerated() { p[i] = s.boolValue }
        }
        if requiresGrad { try setRequiresGrad(true, message: .constructor) }
    }

    package convenience init(floats: [Float], shape: [Int]) throws {
        try self.init(zeros: shape, dtype: .float32)
        let p = storage.pointer(Float.self)
        for (i, v) in floats.enumerated() where i < numel { p[i] = v }
    }

    package convenience init(int64s: [Int64], shape: [Int]) throws {
        try self.init(zeros: shape, dtype: .int64)
        let p = storage.pointer(Int64.self)
        for (i, v) in int64s.enumerated() where i < numel { p[i] = v }
    }

    package static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try Tensor(zeros: shape, dtype: dtype)
    }

    package static func ones(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try full(shape, .int(1), dtype: dtype)
    }

    /// `full(shape, value)`: the dtype follows the value unless given.
    package static func full(_ shape: [Int], _ value: Scalar, dtype: DType? = nil) throws -> Tensor {
        let t = try Tensor(zeros: shape, dtype: dtype ?? value.dtype)
        let value = try value.checked(for: t.dtype)
        let n = t.numel
        switch t.dtype {
        case .float32: t.storage.pointer(Float.self).update(repeating: Float(value.doubleValue), count: n)
        case .int64: t.storage.pointer(Int64.self).update(repeating: value.int64Value, count: n)
        case .bool: t.storage.pointer(Bool.self).update(repeating: value.boolValue, count: n)
        }
        return t
    }

    package static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) throws -> Tensor {
        let cols = m ?? n
        guard n >= 0 && cols >= 0 else { throw TensorError.runtime("n must be greater or equal to 0, got \(Swift.min(n, cols))") }
        let t = try Tensor(zeros: [n, cols], dtype: dtype)
        for i in 0..<Swift.min(n, cols) {
            switch dtype {
            case .float32: t.storage.pointer(Float.self)[i * cols + i] = 1
            case .int64: t.storage.pointer(Int64.self)[i * cols + i] = 1
            case .bool: t.storage.pointer(Bool.self)[i * cols + i] = true
            }
        }
        return t
    }

    /// `arange(start, end, step)`: int64 when all arguments are integers, else float32.
    package static func arange(_ start: Scalar, _ end: Scalar, _ step: Scalar = .int(1), dtype: DType? = nil) throws -> Tensor {
        let isInt = [start, end, step].allSatisfy { if case .float = $0 { return false } else { return true } }
        let (s, e, st) = (start.doubleValue, end.doubleValue, step.doubleValue)
        guard st != 0 else { throw TensorError.runtime("step must be nonzero") }
        guard s.isFinite && e.isFinite else { throw TensorError.runtime("unsupported range: \(s) -> \(e)") }
        guard (st > 0 && e >= s) || (st < 0 && e <= s) else {
            throw TensorError.runtime("upper bound and larger bound inconsistent with step sign")
        }
        // A count beyond what an Int holds would trap on conversion: PyTorch's own check.
        let exact = ((e - s) / st).rounded(.up)
        guard exact.isFinite, exact < Double(Int.max / 16) else { throw TensorError.runtime("invalid size, possible overflow?") }
        let count = Int(exact)
        let dt = dtype ?? (isInt ? .int64 : .float32)
        let t = try Tensor(zeros: [count], dtype: dt)
        for i in 0..<count {
            let v = s + Double(i) * st
            switch dt {
            case .float32: t.storage.pointer(Float.self)[i] = Float(v)
            case .int64: t.storage.pointer(Int64.self)[i] = Int64(v)
            case .bool: t.storage.pointer(Bool.self)[i] = v != 0
            }
        }
        return t
    }

    /// `linspace(start, end, steps)`, computed from both ends as PyTorch does.
    package static func linspace(_ start: Double, _ end: Double, steps: Int) throws -> Tensor {
        guard steps >= 0 else { throw TensorError.runtime("number of steps must be non-negative") }
        let t = try Tensor(zeros: [steps], dtype: .float32)
        let p = t.storage.pointer(Float.self)
        if steps == 1 { p[0] = Float(start) }
        if steps > 1 {
            let step = (end - start) / Double(steps - 1)
            let half = steps / 2
            for i in 0..<steps {
                p[i] = Float(i < half ? start + step * Double(i) : end - step * Double(steps - 1 - i))
            }
        }
        return t
    }

    package static func zerosLike(_ t: Tensor, dtype: DType? = nil) throws -> Tensor { try zeros(t.shape, dtype: dtype ?? t.dtype) }
    package static func onesLike(_ t: Tensor, dtype: DType? = nil) throws -> Tensor { try ones(t.shape, dtype: dtype ?? t.dtype) }
    package static func fullLike(_ t: Tensor, _ v: Scalar, dtype: DType? = nil) throws -> Tensor { try full(t.shape, v, dtype: dtype ?? t.dtype) }

    // MARK: requires_grad

    /// Which of PyTorch's three wordings of the integer-dtype error applies.
    package enum RequiresGradSource { case constructor, attribute, method }

    /// `requires_grad_(b)` / `.requires_grad = b`, with PyTorch's rules for non-leaves,
    /// integer dtypes and inference tensors.
    package func setRequiresGrad(_ value: Bool, message: RequiresGradSource = .method) throws {
        if try !isLeaf {
            if value && message == .method { return }
            throw TensorError.runtime(value ? AutogradMessage.nonLeafRequiresGradTrue : AutogradMessage.nonLeafRequiresGradFalse)
        }
        if value && !dtype.isFloatingPoint {
            switch message {
            case .constructor: throw TensorError.runtime("Only Tensors of floating point and complex dtype can require gradients")
            case .attribute: throw TensorError.runtime("only Tensors of floating point and complex dtype can require gradients")
            case .method: throw TensorError.runtime("only Tensors of floating point dtype can require gradients")
            }
        }
        if value && isInference && !GradModeState.current.isInferenceEnabled {
            throw TensorError.runtime(AutogradMessage.inferenceRequiresGrad)
        }
        StatementJournal.willChange(self)
        requiresGrad = value
    }
}
