/// One item of a subscript: `x[0, 1:3, None, ..., mask]`.
package enum TensorIndex {
    case int(Int)
    case slice(start: Int?, end: Int?, step: Int?)
    case newAxis
    case ellipsis
    case tensor(Tensor)
}

/// Indexing. Ints, slices, `None` and `...` make views; boolean masks and integer tensors
/// ("advanced" indices) gather a copy (`IndexBackward0`).
extension Tensor {
    /// Applies the basic items as views and returns the advanced ones as (dim, int64 index) pairs.
    private func applyBasic(_ items: [TensorIndex]) throws -> (Tensor, [(Int, Tensor)]) {
        var consumed = 0
        var ellipses = 0
        for item in items {
            switch item {
            case .int, .slice: consumed += 1
            case .tensor(let t): consumed += t.dtype == .bool ? t.rank : 1  // a 0-d mask adds its own dim
            case .ellipsis: ellipses += 1
            case .newAxis: break
            }
        }
        if ellipses > 1 { throw TensorError.index("an index can only have a single ellipsis ('...')") }
        if consumed > rank { throw TensorError.index("too many indices for tensor of dimension \(rank)") }
        var result = self
        var d = 0
        var advanced: [(Int, Tensor)] = []
        for item in items {
            switch item {
            case .int(let i):
                result = try result.select(dim: d, index: i)
            case .slice(let s, let e, let st):
                result = try result.slice(dim: d, start: s, end: e, step: st ?? 1)
                d += 1
            case .newAxis:
                result = try result.unsqueeze(d)
                d += 1
            case .ellipsis:
                d += rank - consumed
            case .tensor(let t):
                if t.dtype == .bool {
                    let maskDims = Swift.max(t.rank, 1)
                    let mask = t.rank == 0 ? try t.reshapedData([1]) : t
                    if t.rank == 0 {
                        // x[True] adds a dim of size 1 (or 0 for False).
                        result = try result.unsqueeze(d)
                    }
                    for k in 0..<mask.rank where mask.shape[k] != result.shape[d + k] {
                        throw TensorError.index("The shape of the mask \(mask.shape) at index \(k) does not match the shape of the indexed tensor \(result.shape) at index \(d + k)")
                    }
                    for (k, idx) in try mask.nonzeroColumns().enumerated() { advanced.append((d + k, idx)) }
                    d += maskDims
                } else if t.dtype == .int64 {
                    advanced.append((d, t))
                    d += 1
                } else {
                    throw TensorError.index("tensors used as indices must be long, int, byte or bool tensors")
                }
            }
        }
        return (result, advanced)
    }

    /// For a boolean tensor, one int64 tensor per dim with the coordinates of its true elements.
    func nonzeroColumns() throws -> [Tensor] {
        let values = try scalars()
        var coords = [[Int64]](repeating: [], count: rank)
        let sh = shape
        for (flat, v) in values.enumerated() where v.boolValue {
            var rem = flat
            for k in stride(from: rank - 1, through: 0, by: -1) {
                coords[k].append(Int64(rem % sh[k]))
                rem /= sh[k]
            }
        }
        return try coords.map { try Tensor(int64s: $0, shape: [$0.count]) }
    }

    /// `x[items]`.
    package func index(_ items: [TensorIndex]) throws -> Tensor {
        let (base, advanced) = try applyBasic(items)
        if advanced.isEmpty { return base }
        let plan = try base.gatherPlan(advanced)
        let out = try base.gather(plan)
        let inputShape = base.shape
        guard Recorder.shouldRecord(base) else { return Recorder.unrecorded(out, base) }
        return try Recorder.record("IndexBackward0", inputs: [base], output: out,
                                   save: advanced.map { $0.1 }) { ctx, g in
            for i in 0..<advanced.count { _ = try ctx.saved(i) }
            return [try Tensor.scatterAdd(g, plan: plan, shape: inputShape)]
        }
    }

    /// `x[items] = value`: a copy into a view for basic items, `index_put_` for advanced ones.
    package func indexAssign(_ items: [TensorIndex], _ value: Tensor) throws {
        let hasAdvanced = items.contains { if case .tensor = $0 { return true } else { return false } }
        if !hasAdvanced {
            let view = try index(items)
            _ = try view.copyInPlace(value)
            return
        }
        let (target, advanced) = try applyBasic(items)
        try indexPutInPlace(on: target, advanced, value)
    }

    private func indexPutInPlace(on target: Tensor, _ advanced: [(Int, Tensor)], _ value: Tensor) throws {
        let plan = try target.gatherPlan(advanced)
        _ = try target.modifyInPlace(others: [value]) { current in
            let out = try current.freshCopy()
            let v = try value.converted(to: current.dtype).expand(plan.outputShape)
            try Tensor.scatterWrite(v, plan: plan, into: out)
            let valueShape = value.shape
            guard Recorder.shouldRecord(current, value) else { return Recorder.unrecorded(out, current, value) }
            return try Recorder.record("IndexPutBackward0", inputs: [current, value], output: out) { ctx, g in
                var gSelf: Tensor? = nil
                if ctx.needsGrad(0) {
                    gSelf = try g.freshCopy()
                    try Tensor.scatterWrite(Tensor.zeros(plan.outputShape, dtype: g.dtype), plan: plan, into: gSelf!)
                }
                let gValue = ctx.needsGrad(1) ? try g.gather(plan).sumTo(valueShape) : nil
                return [gSelf, gValue]
            }
        }
    }

    /// Where each element of an advanced-index result comes from, as storage-free linear
    /// positions in a contiguous tensor of the indexed shape.
    struct GatherPlan {
        let outputShape: [Int]
        /// For each output element (row-major), the linear index into the source shape.
        let sourceIndices: [Int]
    }

    func gatherPlan(_ advanced: [(Int, Tensor)]) throws -> GatherPlan {
        var broadcastShape: [Int] = []
        for (_, t) in advanced { broadcastShape = try Shape.broadcast(broadcastShape, t.shape) }
        let dims = advanced.map { $0.0 }
        let adjacent = zip(dims, dims.dropFirst()).allSatisfy { $1 == $0 + 1 }
        let rest = (0..<rank).filter { !dims.contains($0) }
        // Result layout: B where the first advanced dim was (if adjacent), otherwise first.
        let insertAt = adjacent ? rest.filter { $0 < dims[0] }.count : 0
        let restShape = rest.map { shape[$0] }
        let outputShape = Array(restShape[..<insertAt]) + broadcastShape + Array(restShape[insertAt...])
        let contiguous = Shape.contiguousStrides(shape)
        // Nothing to gather (x[False] of a huge view): no tables of the other dims either.
        let outputCount = try Shape.elementCount(outputShape)
        if outputCount == 0 { return GatherPlan(outputShape: outputShape, sourceIndices: []) }
        try MemoryBudget.checkHostArray(count: outputCount, of: Int.self)
        // Offsets contributed by the index tensors, per broadcast position.
        let bCount = broadcastShape.reduce(1, *)
        var advOffset = [Int](repeating: 0, count: bCount)
        for (dim, t) in advanced {
            let expanded = try t.expand(broadcastShape).scalars()
            let size = shape[dim]
            for (j, v) in expanded.enumerated() {
                if j & 0xFFFFF == 0 { try Interruption.check() }
                var i = Int(v.int64Value)
                if i < -size || i >= size {
                    throw TensorError.index("index \(i) is out of bounds for dimension \(dim) with size \(size)")
                }
                if i < 0 { i += size }
                advOffset[j] += i * contiguous[dim]
            }
        }
        // Offsets contributed by the remaining dims, per position in their sub-shape.
        var restOffsets: [Int] = [0]
        for d in rest {
            var next: [Int] = []
            next.reserveCapacity(restOffsets.count * shape[d])
            for o in restOffsets {
                for k in 0..<shape[d] { next.append(o + k * contiguous[d]) }
            }
            restOffsets = next
        }
        let before = restShape[..<insertAt].reduce(1, *)
        let after = restShape[insertAt...].reduce(1, *)
        var indices: [Int] = []
        indices.reserveCapacity(before * bCount * after)
        for b in 0..<before {
            for j in 0..<bCount {
                if after > 1 || j & 0xFFFFF == 0 { try Interruption.check() }
                for a in 0..<after {
                    indices.append(restOffsets[b * after + a] + advOffset[j])
                }
            }
        }
        return GatherPlan(outputShape: outputShape, sourceIndices: indices)
    }

    /// The elements the plan selects, as a new contiguous tensor.
    func gather(_ plan: GatherPlan) throws -> Tensor {
        // Selecting nothing reads nothing: no contiguous copy of a huge view.
        if plan.sourceIndices.isEmpty { return try Tensor(zeros: plan.outputShape, dtype: dtype) }
        let src = try contiguousData()
        let out = try Tensor(uninitialized: plan.outputShape, dtype: dtype)
        func run<T>(_: T.Type) throws {
            let ps = src.storage.pointer(T.self) + src.offset, po = out.storage.pointer(T.self)
            try plan.sourceIndices.withUnsafeBufferPointer { indices in
                try Interruption.chunked(indices.count) { range in
                    for i in range { po[i] = ps[indices[i]] }
                }
            }
        }
        switch dtype {
        case .float32: try run(Float.self)
        case .int64: try run(Int64.self)
        case .bool: try run(Bool.self)
        }
        return out
    }

    /// Zeros of `shape` with `values` added at the plan's positions (repeats accumulate).
    static func scatterAdd(_ values: Tensor, plan: GatherPlan, shape: [Int]) throws -> Tensor {
        let v = try values.converted(to: .float32).contiguousData()
        let out = try Tensor(zeros: shape, dtype: .float32)
        let pv = v.storage.pointer(Float.self) + v.offset, po = out.storage.pointer(Float.self)
        try plan.sourceIndices.withUnsafeBufferPointer { indices in
            try Interruption.chunked(indices.count) { range in
                for i in range { po[indices[i]] += pv[i] }
            }
        }
        return out
    }

    /// Writes `values` (of the plan's output shape) into the contiguous tensor `out`.
    static func scatterWrite(_ values: Tensor, plan: GatherPlan, into out: Tensor) throws {
        let v = try values.converted(to: out.dtype).contiguousData()
        func run<T>(_: T.Type) {
            let pv = v.storage.pointer(T.self) + v.offset, po = out.storage.pointer(T.self) + out.offset
            for (i, j) in plan.sourceIndices.enumerated() { po[j] = pv[i] }
        }
        switch out.dtype {
        case .float32: run(Float.self)
        case .int64: run(Int64.self)
        case .bool: run(Bool.self)
        }
    }
}
