import Foundation

/// Reductions over all elements or along dims, with PyTorch's names for the two forms
/// (`SumBackward0` for all elements, `SumBackward1` along dims).
extension Tensor {
    /// Folds dimension `dim` of a contiguous tensor: `out[o, i] = finish(fold_k x[o, k, i])`.
    /// `merge` joins two partial folds: a row folded along the last dimension keeps four
    /// independent partials so the loop is not one long chain of dependent steps.
    @inline(__always)
    static func reduce<T: TensorElement, Acc, R: TensorElement>(_ x: Tensor, dim: Int, _: T.Type, to dtype: DType, initial: Acc,
                                  _ combine: (Acc, T) -> Acc, merge: (Acc, Acc) -> Acc, finish: (Acc, Int) -> R) throws -> Tensor {
        precondition(R.dtype == dtype && T.dtype == x.dtype, "kernel element types must match the dtypes")
        var outShape = x.shape
        let n = x.shape[dim]
        outShape[dim] = 1
        let out = try Tensor(uninitialized: outShape, dtype: dtype)
        // No output elements: the other sizes may be anything (ones(0, 10**18, 10**18)),
        // and their products must not be formed.
        if out.numel == 0 { return out }
        let outer = x.shape[..<dim].reduce(1, *)
        let inner = x.shape[(dim + 1)...].reduce(1, *)
        let po = out.storage.pointer(R.self)
        let px = UnsafePointer(x.storage.pointer(T.self)) + x.offset
        if inner == 1 {
            for o in 0..<outer {
                try Interruption.check()
                let row = px + o * n
                var a0 = initial, a1 = initial, a2 = initial, a3 = initial
                var k = 0
                while k + 4 <= n {
                    a0 = combine(a0, row[k]); a1 = combine(a1, row[k + 1])
                    a2 = combine(a2, row[k + 2]); a3 = combine(a3, row[k + 3])
                    k += 4
                }
                while k < n {
                    a0 = combine(a0, row[k])
                    k += 1
                }
                po[o] = finish(merge(merge(a0, a1), merge(a2, a3)), n)
            }
            return out
        }
        let acc = UnsafeMutablePointer<Acc>.allocate(capacity: inner)
        defer { acc.deallocate() }
        for o in 0..<outer {
            try Interruption.check()
            acc.initialize(repeating: initial, count: inner)
            let block = px + o * n * inner
            for k in 0..<n {
                let row = block + k * inner
                for i in 0..<inner { acc[i] = combine(acc[i], row[i]) }
            }
            for i in 0..<inner { po[o * inner + i] = finish(acc[i], n) }
        }
        return out
    }

    /// Sums the last non-trivial dimension `dim` of a contiguous float tensor: each output is
    /// the sum of one contiguous row.
    static func sumRows(_ x: Tensor, dim: Int) throws -> Tensor {
        var outShape = x.shape
        let n = x.shape[dim]
        outShape[dim] = 1
        let rows = x.shape[..<dim].reduce(1, *)
        let out = try Tensor(uninitialized: outShape, dtype: .float32)
        let po = out.storage.pointer(Float.self)
        let px = UnsafePointer(x.storage.pointer(Float.self)) + x.offset
        for r in 0..<rows { po[r] = Float(try Kernel.interruptibleSum(px + r * n, n)) }
        return out
    }

    /// Normalized, sorted, de-duplicated dims; empty means all.
    func reductionDims(_ dims: [Int]?) throws -> [Int] {
        guard let dims, !dims.isEmpty else { return Array(0..<rank) }
        var out: [Int] = []
        for d in dims {
            let n = try Shape.normalize(dim: d, rank: rank)
            if out.contains(n) {
                throw TensorError.runtime("dim \(n) appears multiple times in the list of dims")
            }
            out.append(n)
        }
        return out.sorted()
    }

    /// The sum of every element of a contiguous float tensor in one flat loop (the common
    /// case), or nil for other layouts and dtypes.
    private func contiguousFloatTotal() throws -> Float? {
        guard dtype == .float32 && isContiguous else { return nil }
        return Float(try Kernel.interruptibleSum(UnsafePointer(storage.pointer(Float.self)) + offset, numel))
    }

    /// A fresh tensor of `shape` holding one float.
    private static func filled(_ value: Float, shape: [Int]) throws -> Tensor {
        let out = try Tensor(uninitialized: shape, dtype: .float32)
        out.storage.pointer(Float.self)[0] = value
        return out
    }

    /// Sums over `dims` of the raw values (no autograd), keeping reduced dims as size 1.
    private func sumValues(_ dims: [Int]) throws -> Tensor {
        if dims.count == rank, let total = try contiguousFloatTotal() {
            return try Tensor.filled(total, shape: [Int](repeating: 1, count: rank))
        }
        if numel > 0 && rank > 0 && !dims.isEmpty && dims.allSatisfy({ $0 < rank && strides[$0] == 0 }) {
            return try sumOfBroadcast(dims)
        }
        var x = try contiguousData()
        if x.rank == 0 { return try x.freshCopy() }
        if dims.count == rank && rank > 1 {
            // Every element: one pass over the flat data, not one pass per dimension.
            return try x.reshapedData([numel]).sumValues([0]).reshapedData([Int](repeating: 1, count: rank))
        }
        for d in dims.sorted(by: >) {
            let c = try x.contiguousData()
            switch c.dtype {
            case .float32 where c.shape[(d + 1)...].allSatisfy({ $0 == 1 }):
                x = try Tensor.sumRows(c, dim: d)
            case .float32:
                x = try Tensor.reduce(c, dim: d, Float.self, to: .float32, initial: 0.0 as Double,
                                      { $0 + Double($1) }, merge: +, finish: { a, _ in Float(a) })
            case .int64:
                x = try Tensor.reduce(c, dim: d, Int64.self, to: .int64, initial: 0 as Int64,
                                      { $0 &+ $1 }, merge: &+, finish: { a, _ in a })
            case .bool:
                x = try Tensor.reduce(c, dim: d, Bool.self, to: .int64, initial: 0 as Int64,
                                      { $0 &+ ($1 ? 1 : 0) }, merge: &+, finish: { a, _ in a })
            }
        }
        return x
    }

    /// A sum over dims that are all broadcasts (stride 0), as the gradient of a broadcast
    /// operand is: each output is `count` copies of one value, so it is that value times
    /// `count`, exactly what adding the copies in Double gives, without materialising them.
    private func sumOfBroadcast(_ dims: [Int]) throws -> Tensor {
        let count = dims.reduce(1) { $0 * shape[$1] }
        var kept = shape
        for d in dims { kept[d] = 1 }
        let one = Tensor(storage: storage, shape: kept, strides: strides, offset: offset, isInference: isInference, versionCounter: versionCounterOverride)
        switch dtype {
        case .float32: return try Kernel.map(one, Float.self, to: .float32) { Float(Double($0) * Double(count)) }
        case .int64: return try Kernel.map(one, Int64.self, to: .int64) { $0 &* Int64(count) }
        case .bool: return try Kernel.map(one, Bool.self, to: .int64) { $0 ? Int64(count) : 0 }
        }
    }

    /// Shape after reducing `dims`.
    private func reducedShape(_ dims: [Int], keepdim: Bool) -> [Int] {
        var s: [Int] = []
        for (i, n) in shape.enumerated() {
            if dims.contains(i) { if keepdim { s.append(1) } } else { s.append(n) }
        }
        return s
    }

    // MARK: sum, mean, prod

    /// `sum()`: all elements (`SumBackward0`).
    package func sum() throws -> Tensor {
        let out = try contiguousFloatTotal().map { try Tensor.filled($0, shape: []) }
            ?? sumValues(Array(0..<rank)).reshapedData([])
        let inputShape = shape
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("SumBackward0", inputs: [self], output: out) { _, g in
            [try g.expand(inputShape)]
        }
    }

    /// `sum(dim, keepdim)` (`SumBackward1`).
    package func sum(dims: [Int], keepdim: Bool = false) throws -> Tensor {
        let ds = try reductionDims(dims)
        let out = try sumValues(ds).reshapedData(reducedShape(ds, keepdim: keepdim))
        let inputShape = shape
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("SumBackward1", inputs: [self], output: out) { _, g in
            [try Tensor.expandReduced(g, dims: ds, keepdim: keepdim, to: inputShape)]
        }
    }

    /// Broadcasts a reduced gradient back over the input's shape.
    static func expandReduced(_ g: Tensor, dims: [Int], keepdim: Bool, to inputShape: [Int]) throws -> Tensor {
        // A 0-d input reduced along its dim 0 gives a 0-d result: the gradient is already whole.
        if inputShape.isEmpty { return try g.reshape([]) }
        var grad = g
        if !keepdim {
            for d in dims.sorted() { grad = try grad.unsqueeze(d) }
        }
        return try grad.expand(inputShape)
    }

    private func checkMeanDtype() throws {
        guard dtype == .float32 else {
            throw TensorError(.notImplemented, "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: \(dtype.scalarTypeName)")
        }
    }

    package func mean() throws -> Tensor {
        try checkMeanDtype()
        let n = Swift.max(numel, 1)
        let total = try sumValues(Array(0..<rank)).reshapedData([])
        let out = try Kernel.map(total, Float.self, to: .float32) { numel == 0 ? .nan : $0 / Float(n) }
        let inputShape = shape
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("MeanBackward0", inputs: [self], output: out) { _, g in
            [try g.div(Tensor.wrapping(.float(Double(n)))).expand(inputShape)]
        }
    }

    package func mean(dims: [Int], keepdim: Bool = false) throws -> Tensor {
        try checkMeanDtype()
        let ds = try reductionDims(dims)
        // A 0-d tensor accepts dim 0 (or -1), which then stands for its one element.
        let n = ds.reduce(1) { $0 * ($1 < rank ? shape[$1] : 1) }
        let total = try sumValues(ds).reshapedData(reducedShape(ds, keepdim: keepdim))
        let out = try Kernel.map(total, Float.self, to: .float32) { $0 / Float(n) }
        let inputShape = shape
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("MeanBackward1", inputs: [self], output: out) { _, g in
            [try Tensor.expandReduced(g.div(Tensor.wrapping(.float(Double(n)))), dims: ds, keepdim: keepdim, to: inputShape)]
        }
    }

    private func prodValues(dim: Int) throws -> Tensor {
        let c = try (dtype == .bool ? converted(to: .int64) : self).contiguousData()
        switch c.dtype {
        case .float32:
            return try Tensor.reduce(c, dim: dim, Float.self, to: .float32, initial: 1.0 as Double,
                                     { $0 * Double($1) }, merge: *, finish: { a, _ in Float(a) })
        default:
            return try Tensor.reduce(c, dim: dim, Int64.self, to: .int64, initial: 1 as Int64,
                                     { $0 &* $1 }, merge: &*, finish: { a, _ in a })
        }
    }

    /// `prod()` of all elements (`ProdBackward0`).
    package func prod() throws -> Tensor {
        let flat = try contiguousData().reshapedData([numel])
        let out = try flat.prodValues(dim: 0).reshapedData([])
        let inputShape = shape
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("ProdBackward0", inputs: [self], output: out, save: [self], saveOutput: true) { ctx, g in
            let x = try ctx.saved(0)
            return [try g.mul(Tensor.productOfOthers(x, dim: nil, result: ctx.output())).reshape(inputShape)]
        }
    }

    /// `prod(dim, keepdim)` (`ProdBackward1`).
    package func prod(dim: Int, keepdim: Bool = false) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank)
        if rank == 0 { return try prod() }
        var out = try prodValues(dim: d)
        if !keepdim { out = try out.reshapedData(reducedShape([d], keepdim: false)) }
        let inputShape = shape
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("ProdBackward1", inputs: [self], output: out, save: [self], saveOutput: true) { ctx, g in
            let x = try ctx.saved(0)
            let full = try Tensor.expandReduced(g, dims: [d], keepdim: keepdim, to: inputShape)
            let res = try Tensor.expandReduced(ctx.output(), dims: [d], keepdim: keepdim, to: inputShape)
            return [try full.mul(Tensor.productOfOthers(x, dim: d, result: res))]
        }
    }

    /// For each element, the product of the other elements of its reduction group. Uses
    /// `result / x` (differentiable) when there are no zeros, and exact products otherwise.
    static func productOfOthers(_ x: Tensor, dim: Int?, result: Tensor) throws -> Tensor {
        let values = try x.doubles()
        if !values.contains(0) { return try result.div(x) }
        let c = try x.converted(to: .float32).contiguousData()
        let shape = c.shape
        let n = dim.map { shape[$0] } ?? c.numel
        let inner = dim.map { shape[($0 + 1)...].reduce(1, *) } ?? 1
        let outer = c.numel / Swift.max(n * inner, 1)
        let flat = try c.doubles()
        var out = [Float](repeating: 0, count: flat.count)
        for o in 0..<outer {
            for i in 0..<inner {
                let idx = (0..<n).map { o * n * inner + $0 * inner + i }
                var prefix = [Double](repeating: 1, count: n + 1)
                for k in 0..<n { prefix[k + 1] = prefix[k] * flat[idx[k]] }
                var suffix = 1.0
                for k in stride(from: n - 1, through: 0, by: -1) {
                    out[idx[k]] = Float(prefix[k] * suffix)
                    suffix *= flat[idx[k]]
                }
            }
        }
        return try Tensor(floats: out, shape: shape)
    }

    // MARK: max, min, argmax, argmin

    /// `max()` over all elements (`MaxBackward1`); the gradient is shared among ties.
    package func max() throws -> Tensor { try extremumAll(isMax: true) }
    package func min() throws -> Tensor { try extremumAll(isMax: false) }

    private func extremumAll(isMax: Bool) throws -> Tensor {
        guard numel > 0 else {
            throw TensorError.runtime("\(isMax ? "max" : "min")(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        }
        let (values, _) = try extremumValues(dim: nil, isMax: isMax)
        let out = try values.reshapedData([])
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record(isMax ? "MaxBackward1" : "MinBackward1", inputs: [self], output: out,
                                   save: [self], saveOutput: true) { ctx, g in
            let x = try ctx.saved(0), result = try ctx.output()
            // PyTorch's evenly_distribute_backward: a NaN result came from the NaN elements,
            // and they share the gradient (x == NaN would match none of them).
            let mask = try (result.item().doubleValue.isNaN ? x.ne(x) : x.eq(result)).converted(to: .float32)
            return [try g.mul(mask).div(mask.sum())]
        }
    }

    /// `max(dim, keepdim)`: (values, indices); values record `MaxBackward0`.
    package func max(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try extremumAlong(dim: dim, keepdim: keepdim, isMax: true)
    }

    package func min(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try extremumAlong(dim: dim, keepdim: keepdim, isMax: false)
    }

    private func extremumAlong(dim: Int, keepdim: Bool, isMax: Bool) throws -> (values: Tensor, indices: Tensor) {
        let d = try Shape.normalize(dim: dim, rank: rank)
        if rank > 0 && shape[d] == 0 {
            throw TensorError.index("\(isMax ? "max" : "min")(): Expected reduction dim \(d) to have non-zero size.")
        }
        var (values, indices) = try extremumValues(dim: rank == 0 ? nil : d, isMax: isMax)
        let outShape = rank == 0 ? [] : reducedShape([d], keepdim: keepdim)
        values = try values.reshapedData(outShape)
        indices = try indices.reshapedData(outShape)
        let inputShape = shape
        let idx = indices
        let out = try Recorder.record(isMax ? "MaxBackward0" : "MinBackward0", inputs: [self], output: values,
                                      save: [idx]) { ctx, g in
            [try Tensor.scatterAlong(dim: d, keepdim: keepdim || inputShape.isEmpty, indices: ctx.saved(0), values: g, shape: inputShape)]
        }
        return (out, indices)
    }

    /// `argmax(dim=None, keepdim=False)`.
    package func argmax(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        try argExtremum(dim: dim, keepdim: keepdim, isMax: true)
    }

    package func argmin(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        try argExtremum(dim: dim, keepdim: keepdim, isMax: false)
    }

    private func argExtremum(dim: Int?, keepdim: Bool, isMax: Bool) throws -> Tensor {
        if let dim {
            return try extremumAlong(dim: dim, keepdim: keepdim, isMax: isMax).indices.detach()
        }
        guard numel > 0 else {
            throw TensorError.runtime("\(isMax ? "argmax" : "argmin")(): Expected reduction dim to be specified for input.numel() == 0.")
        }
        let (_, idx) = try extremumValues(dim: nil, isMax: isMax)
        return try idx.reshapedData(keepdim ? [Int](repeating: 1, count: rank) : [])
    }

    /// Values and first indices of the extremum along `dim` (nil: over all elements, flattened).
    private func extremumValues(dim: Int?, isMax: Bool) throws -> (Tensor, Tensor) {
        var x = try (dtype == .bool ? converted(to: .int64) : self).contiguousData()
        var d = 0
        if let dim { d = dim } else { x = try x.reshapedData([x.numel]) }
        if x.rank == 0 { x = try x.reshapedData([1]) }
        let n = x.shape[d]
        let inner = x.shape[(d + 1)...].reduce(1, *)
        let outer = x.numel / Swift.max(n * inner, 1)
        var outShape = x.shape
        outShape[d] = 1
        let indices = try Tensor(uninitialized: outShape, dtype: .int64)
        let pi = indices.storage.pointer(Int64.self)
        let values: Tensor
        switch x.dtype {
        case .float32:
            values = try Tensor(uninitialized: outShape, dtype: .float32)
            let px = x.storage.pointer(Float.self) + x.offset, pv = values.storage.pointer(Float.self)
            if inner == 1 && n > 0 {
                // Contiguous rows: find the extreme with independent partials, then its
                // first position (the first NaN, if any).
                for o in 0..<outer {
                    let row = UnsafePointer(px + o * n)
                    let m = isMax ? Kernel.max(row, n) : Kernel.min(row, n)
                    var k = 0
                    if m.isNaN { while !row[k].isNaN { k += 1 } } else { while row[k] != m { k += 1 } }
                    pv[o] = row[k]
                    pi[o] = Int64(k)
                }
                return (values, indices)
            }
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = px[o * n * inner + i], bestK = 0
                    if !best.isNaN {
                        for k in 1..<Swift.max(n, 1) {
                            let v = px[o * n * inner + k * inner + i]
                            if v.isNaN { best = v; bestK = k; break }
                            if isMax ? v > best : v < best { best = v; bestK = k }
                        }
                    }
                    pv[o * inner + i] = best
                    pi[o * inner + i] = Int64(bestK)
                }
            }
        default:
            values = try Tensor(uninitialized: outShape, dtype: .int64)
            let px = x.storage.pointer(Int64.self) + x.offset, pv = values.storage.pointer(Int64.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = px[o * n * inner + i], bestK = 0
                    for k in 1..<Swift.max(n, 1) {
                        let v = px[o * n * inner + k * inner + i]
                        if isMax ? v > best : v < best { best = v; bestK = k }
                    }
                    pv[o * inner + i] = best
                    pi[o * inner + i] = Int64(bestK)
                }
            }
        }
        let v = dtype == .bool ? try values.converted(to: .bool) : values
        return (v, indices)
    }

    /// A zero tensor of `shape` with `values` placed at `indices` along `dim` (backward of max(dim)).
    static func scatterAlong(dim: Int, keepdim: Bool, indices: Tensor, values: Tensor, shape: [Int]) throws -> Tensor {
        let out = try Tensor(zeros: shape, dtype: .float32)
        if shape.isEmpty {
            out.storage.pointer(Float.self)[0] = Float(try values.doubles().first ?? 0)
            return out
        }
        var idxShape = shape
        idxShape[dim] = 1
        let idx = try indices.contiguousData().reshapedData(idxShape)
        let vals = try values.converted(to: .float32).contiguousData().reshapedData(idxShape)
        let n = shape[dim]
        let inner = shape[(dim + 1)...].reduce(1, *)
        let outer = out.numel / Swift.max(n * inner, 1)
        let po = out.storage.pointer(Float.self)
        let pi = idx.storage.pointer(Int64.self) + idx.offset
        let pv = vals.storage.pointer(Float.self) + vals.offset
        for o in 0..<outer {
            for i in 0..<inner {
                let k = Int(pi[o * inner + i])
                po[o * n * inner + k * inner + i] += pv[o * inner + i]
            }
        }
        return out
    }
}

extension Tensor {
    /// `norm(p=2, dim=None, keepdim=False)` (`LinalgVectorNormBackward0`): the p-norm of all
    /// elements, or along `dims`. Backward: g * sign(x) * |x|^(p-1) / norm^(p-1), which is
    /// x / norm for p = 2, and 0 where the norm is 0, as PyTorch masks it.
    package func norm(p: Double = 2, dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        guard dtype.isFloatingPoint else {
            throw TensorError.runtime("linalg.vector_norm: Expected a floating point or complex tensor as input. Got \(dtype.scalarTypeName)")
        }
        guard p > 0, p.isFinite else { throw TensorError.runtime("norm: gradsh supports finite p > 0 (got \(p))") }
        let reduced = try dims.map { try $0.map { try Shape.normalize(dim: $0, rank: Swift.max(rank, 1)) } } ?? Array(0..<rank)
        let inputShape = shape
        let power = Tensor.wrapping(.float(p)), inverse = Tensor.wrapping(.float(1 / p))
        let out = try GradModeState.withGradMode(.noGrad) { () -> Tensor in
            let magnitudes = p == 2 ? try self.mul(self) : try self.abs().pow(power)
            let total = dims == nil ? try magnitudes.sum() : try magnitudes.sum(dims: reduced, keepdim: keepdim)
            return p == 2 ? try total.sqrt() : try total.pow(inverse)
        }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("LinalgVectorNormBackward0", inputs: [self], output: out, save: [self], saveOutput: true,
                                   scalars: [("ord", .float(p))]) { ctx, g in
            let x = try ctx.saved(0)
            let whole = dims == nil
            let grad = whole ? try g.expand(inputShape) : try Tensor.expandReduced(g, dims: reduced, keepdim: keepdim, to: inputShape)
            let n = whole ? try ctx.output().expand(inputShape) : try Tensor.expandReduced(ctx.output(), dims: reduced, keepdim: keepdim, to: inputShape)
            let zero = Tensor.wrapping(.float(0))
            let scaled: Tensor
            if p == 2 {
                scaled = try x.div(n)
            } else {
                let exponent = Tensor.wrapping(.float(p - 1))
                scaled = try x.sign().mul(x.abs().pow(exponent)).div(n.pow(exponent))
            }
            return [try grad.mul(scaled.maskedFill(n.eq(zero), zero))]
        }
    }
}
