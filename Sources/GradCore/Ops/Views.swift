/// Shape operations. Most are views: they share storage and version counter with their
/// base, so an in-place change through one is seen (and counted) by all.
extension Tensor {
    /// Makes a view of this tensor with new geometry, recording `name` when autograd records.
    func makeView(shape: [Int], strides: [Int], offset: Int, name: String,
                  backward: @escaping Node.BackwardRule) throws -> Tensor {
        // No view gets a negative size or more elements than an Int counts.
        _ = try Shape.elementCount(shape)
        // PyTorch's propagate_creation_meta: a view of a view made under no_grad or
        // inference keeps the stricter of the two.
        var creation = ViewCreation.forCurrentMode()
        if viewBase != nil && (creation == .normal || viewCreation == .inference) { creation = viewCreation }
        let view = Tensor(storage: storage, shape: shape, strides: strides, offset: offset,
                          requiresGrad: false, isInference: isInference,
                          viewBase: viewBase ?? self, viewCreation: creation, versionCounter: versionCounterOverride)
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(view, self) }
        return try Recorder.record(name, inputs: [self], output: view, backward: backward)
    }

    /// A result tensor that reuses freshly computed contiguous data under a new shape.
    func reshapedData(_ newShape: [Int]) throws -> Tensor {
        if newShape == shape { return self }
        precondition(isContiguous, "reshapedData needs contiguous data")
        return Tensor(storage: storage, shape: newShape, strides: Shape.contiguousStrides(newShape),
                      offset: offset, isInference: isInference, versionCounter: versionCounterOverride)
    }

    /// Resolves one `-1` in a requested shape, with PyTorch's errors.
    func inferShape(_ requested: [Int]) throws -> [Int] {
        var inferred: Int? = nil
        var known = 1
        for (i, s) in requested.enumerated() {
            if s == -1 {
                if inferred != nil { throw TensorError.runtime("only one dimension can be inferred") }
                inferred = i
            } else if s < 0 {
                throw TensorError.runtime("invalid shape dimension \(s)")
            } else {
                let (m, o) = known.multipliedReportingOverflow(by: s)
                if o { throw TensorError.runtime("shape '\(requested)' is invalid for input of size \(numel)") }
                known = m
            }
        }
        var out = requested
        if let i = inferred {
            if known == 0 || numel % known != 0 {
                throw TensorError.runtime("shape '\(requested)' is invalid for input of size \(numel)")
            }
            out[i] = numel / known
        } else if known != numel {
            throw TensorError.runtime("shape '\(requested)' is invalid for input of size \(numel)")
        }
        return out
    }

    /// Strides that let the current memory be read with `newShape`, or nil when it cannot
    /// (PyTorch's `computeStride`).
    func viewStrides(_ newShape: [Int]) -> [Int]? {
        if numel == 0 || rank == 0 { return Shape.contiguousStrides(newShape) }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var viewD = newShape.count - 1
        var chunkBaseStride = strides[rank - 1]
        var tensorNumel = 1, viewNumel = 1
        for tensorD in stride(from: rank - 1, through: 0, by: -1) {
            tensorNumel *= shape[tensorD]
            if tensorD == 0 || (shape[tensorD - 1] != 1 && strides[tensorD - 1] != tensorNumel * chunkBaseStride) {
                while viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1) {
                    newStrides[viewD] = viewNumel * chunkBaseStride
                    viewNumel *= newShape[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if tensorD > 0 {
                    chunkBaseStride = strides[tensorD - 1]
                    tensorNumel = 1
                    viewNumel = 1
                }
            }
        }
        return viewD == -1 ? newStrides : nil
    }

    package func view(_ requested: [Int]) throws -> Tensor {
        let newShape = try inferShape(requested)
        guard let st = viewStrides(newShape) else {
            throw TensorError.runtime("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        }
        let inputShape = shape
        return try makeView(shape: newShape, strides: st, offset: offset, name: "ViewBackward0") { _, g in
            [try g.reshape(inputShape)]
        }
    }

    /// A view when the memory allows it, otherwise a copy.
    package func reshape(_ requested: [Int]) throws -> Tensor {
        let newShape = try inferShape(requested)
        if viewStrides(newShape) != nil { return try view(newShape) }
        let copy = try freshCopy().reshapedData(newShape)
        let inputShape = shape
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(copy, self) }
        return try Recorder.record("UnsafeViewBackward0", inputs: [self], output: copy) { _, g in
            [try g.reshape(inputShape)]
        }
    }

    package func flatten(startDim: Int = 0, endDim: Int = -1) throws -> Tensor {
        if rank == 0 { return try reshape([1]) }
        let s = try Shape.normalize(dim: startDim, rank: rank), e = try Shape.normalize(dim: endDim, rank: rank)
        if s > e { throw TensorError.runtime("flatten() has invalid args: start_dim cannot come after end_dim") }
        if s == e { return self }
        let middle = shape[s...e].reduce(1, *)
        return try reshape(Array(shape[..<s]) + [middle] + Array(shape[(e + 1)...]))
    }

    package func transpose(_ d0: Int, _ d1: Int) throws -> Tensor {
        try transposed(d0, d1, name: "TransposeBackward0")
    }

    private func transposed(_ d0: Int, _ d1: Int, name: String) throws -> Tensor {
        let a = try Shape.normalize(dim: d0, rank: rank), b = try Shape.normalize(dim: d1, rank: rank)
        var sh = shape, st = strides
        if rank > 0 {
            sh.swapAt(a, b)
            st.swapAt(a, b)
        }
        return try makeView(shape: sh, strides: st, offset: offset, name: name) { _, g in
            [try g.transpose(a, b)]
        }
    }

    /// `narrow(dim, start, length)`: `length` elements from `start` along `dim`, a view
    /// recorded as the slice it is (`SliceBackward0`), with PyTorch's checks.
    package func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        guard rank > 0 else { throw TensorError.runtime("narrow() cannot be applied to a 0-dim tensor.") }
        let d = try Shape.normalize(dim: dim, rank: rank)
        let size = shape[d]
        guard length >= 0 else { throw TensorError.runtime("narrow(): length must be non-negative.") }
        guard start >= -size && start <= size else {
            throw TensorError.index("start out of range (expected to be in range of [\(-size), \(size)], but got \(start))")
        }
        let s = start < 0 ? start + size : start
        guard s <= size - length else {
            throw TensorError.runtime("start (\(s)) + length (\(length)) exceeds dimension size (\(size)).")
        }
        return try slice(dim: d, start: s, end: s + length)
    }

    /// `transpose_(d0, d1)`: swaps two dimensions of this tensor itself, an in-place change
    /// of its geometry: PyTorch's in-place rules apply, its version goes up by one and a
    /// non-leaf records `TransposeBackward1`.
    package func transposeInPlace(_ d0: Int, _ d1: Int, nodeName: String = "TransposeBackward1") throws -> Tensor {
        let a = try Shape.normalize(dim: d0, rank: rank), b = try Shape.normalize(dim: d1, rank: rank)
        let mode = GradModeState.current
        let recording = mode.isRecording && requiresGrad && !isInference
        if recording {
            if let base = viewBase {
                if let error = viewCreation.rebaseError(indirect: false) { throw error }
                if try base.isLeaf { throw TensorError.runtime(AutogradMessage.viewOfLeafInPlace) }
            }
            if try isLeaf { throw TensorError.runtime(AutogradMessage.leafInPlace) }
        }
        if isInference && !mode.isInferenceEnabled {
            throw TensorError.runtime(AutogradMessage.inferenceInPlace)
        }
        let edge = recording ? try Recorder.edge(to: self) : nil
        StatementJournal.willChange(self)
        StatementJournal.willBumpVersion(self)
        if rank > 0 {
            shape.swapAt(a, b)
            strides.swapAt(a, b)
        }
        bumpVersion()
        // A view's history is rebuilt from its base over the new geometry when next read.
        if recording && viewBase == nil {
            setGradFn(Node(name: nodeName, nextEdges: [edge], saved: []) { _, g in [try g.transpose(a, b)] })
        }
        return self
    }

    /// `t()`: transpose of a tensor of at most two dimensions.
    package func t() throws -> Tensor {
        guard rank <= 2 else {
            throw TensorError.runtime("t() expects a tensor with <= 2 dimensions, but self is \(rank)D")
        }
        if rank < 2 {
            return try makeView(shape: shape, strides: strides, offset: offset, name: "TBackward0") { _, g in [g] }
        }
        return try makeView(shape: [shape[1], shape[0]], strides: [strides[1], strides[0]], offset: offset,
                            name: "TBackward0") { _, g in [try g.t()] }
    }

    package func permute(_ dims: [Int]) throws -> Tensor {
        guard dims.count == rank else {
            throw TensorError.runtime("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = \(rank) is not equal to len(dims) = \(dims.count)")
        }
        let ds = try dims.map { try Shape.normalize(dim: $0, rank: rank) }
        guard Set(ds).count == ds.count else { throw TensorError.runtime("permute(): duplicate dims are not allowed.") }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, d) in ds.enumerated() { inverse[d] = i }
        return try makeView(shape: ds.map { shape[$0] }, strides: ds.map { strides[$0] }, offset: offset,
                            name: "PermuteBackward0") { _, g in [try g.permute(inverse)] }
    }

    package func unsqueeze(_ dim: Int) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank + 1)
        var sh = shape, st = strides
        let newStride = d < rank ? strides[d] * shape[d] : 1
        sh.insert(1, at: d)
        st.insert(newStride, at: d)
        return try makeView(shape: sh, strides: st, offset: offset, name: "UnsqueezeBackward0") { _, g in
            [try g.squeeze(dim: d)]
        }
    }

    /// `squeeze()`: drops every size-1 dim (`SqueezeBackward0`).
    package func squeeze() throws -> Tensor {
        let keep = shape.indices.filter { shape[$0] != 1 }
        let inputShape = shape
        return try makeView(shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset,
                            name: "SqueezeBackward0") { _, g in [try g.reshape(inputShape)] }
    }

    /// `squeeze(dim)`: drops `dim` if its size is 1 (`SqueezeBackward1`).
    package func squeeze(dim: Int) throws -> Tensor {
        try squeeze(dim: dim, name: "SqueezeBackward1")
    }

    /// The same, recorded under `name` (matmul of a vector records `SqueezeBackward4`).
    func squeeze(dim: Int, name: String) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank)
        var sh = shape, st = strides
        if rank > 0 && shape[d] == 1 {
            sh.remove(at: d)
            st.remove(at: d)
        }
        let inputShape = shape
        return try makeView(shape: sh, strides: st, offset: offset, name: name) { _, g in
            [try g.reshape(inputShape)]
        }
    }

    /// Broadcasts to `target` without copying (stride 0 on new or size-1 axes).
    package func expand(_ target: [Int]) throws -> Tensor {
        guard target.count >= rank else {
            throw TensorError.runtime("expand(\(dtype.legacyTypeName){\(shape)}, size=\(target)): the number of sizes provided (\(target.count)) must be greater or equal to the number of dimensions in the tensor (\(rank))")
        }
        var sh = target
        let lead = target.count - rank
        for i in 0..<lead where target[i] < 0 {
            throw TensorError.runtime("The expanded size of the tensor (\(target[i])) isn't allowed in a leading, non-existing dimension \(i)")
        }
        for i in 0..<rank where target[lead + i] == -1 { sh[lead + i] = shape[i] }
        if sh == shape { return self }
        for i in 0..<rank where shape[i] != 1 && sh[lead + i] != shape[i] {
            throw TensorError.runtime("The expanded size of the tensor (\(sh[lead + i])) must match the existing size (\(shape[i])) at non-singleton dimension \(lead + i).  Target sizes: \(target).  Tensor sizes: \(shape)")
        }
        let st = Shape.broadcastStrides(shape: shape, strides: strides, to: sh)
        let inputShape = shape
        return try makeView(shape: sh, strides: st, offset: offset, name: "ExpandBackward0") { _, g in
            [try g.sumTo(inputShape)]
        }
    }

    /// `x[i]` along `dim` (`SelectBackward0`).
    package func select(dim: Int, index: Int) throws -> Tensor {
        guard rank > 0 else {
            throw TensorError.index("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        }
        let d = try Shape.normalize(dim: dim, rank: rank)
        let size = shape[d]
        guard index >= -size && index < size else {
            throw TensorError.index("index \(index) is out of bounds for dimension \(d) with size \(size)")
        }
        let i = index < 0 ? index + size : index
        var sh = shape, st = strides
        sh.remove(at: d)
        st.remove(at: d)
        let inputShape = shape
        return try makeView(shape: sh, strides: st, offset: offset + i * strides[d], name: "SelectBackward0") { _, g in
            [try g.embedded(in: inputShape, name: "SelectBackwardBackward0") { try $0.select(dim: d, index: i) }]
        }
    }

    /// `x[start:end:step]` along `dim`, with Python's clamping (`SliceBackward0`).
    package func slice(dim: Int, start: Int?, end: Int?, step: Int = 1) throws -> Tensor {
        guard rank > 0 else { throw TensorError.index("slice() cannot be applied to a 0-dim tensor.") }
        guard step > 0 else { throw TensorError.value("step must be greater than zero") }
        let d = try Shape.normalize(dim: dim, rank: rank)
        let size = shape[d]
        func clampIndex(_ v: Int?, _ def: Int) -> Int {
            guard var v else { return def }
            if v < 0 { v += size }
            return Swift.min(Swift.max(v, 0), size)
        }
        let s = clampIndex(start, 0)
        let e = Swift.max(clampIndex(end, size), s)
        var sh = shape, st = strides
        // Written so a step near Int.max cannot overflow: with two or more elements the step
        // is below the size, and stride * step stays inside the storage.
        sh[d] = e > s ? 1 + (e - s - 1) / step : 0
        st[d] = sh[d] <= 1 ? strides[d] : strides[d] * step
        let inputShape = shape
        return try makeView(shape: sh, strides: st, offset: offset + s * strides[d], name: "SliceBackward0") { _, g in
            [try g.embedded(in: inputShape, name: "SliceBackwardBackward0") { try $0.slice(dim: d, start: s, end: e, step: step) }]
        }
    }

    /// A zero tensor of `shape` with this tensor written into the region `region` selects:
    /// the backward of a view, itself differentiable (its backward takes the region again).
    func embedded(in shape: [Int], name: String, region: @escaping (Tensor) throws -> Tensor) throws -> Tensor {
        let out = try Tensor(zeros: shape, dtype: dtype)
        try GradModeState.withGradMode(.noGrad) {
            try Kernel.copy(self, into: try region(out))
        }
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record(name, inputs: [self], output: out) { _, g in [try region(g)] }
    }

    /// `detach()`: the same memory and version counter, no history, not requiring grad.
    package func detach() throws -> Tensor {
        let t = Tensor(storage: storage, shape: shape, strides: strides, offset: offset,
                       requiresGrad: false, isInference: isInference, versionCounter: versionCounterOverride)
        t.isDetached = true
        return t
    }

    /// `x.data`: the same memory with no history and a version counter of its own, so
    /// changing it in place is invisible to autograd (the pre-`no_grad` idiom
    /// `w.data -= lr * w.grad` does not break a later backward, and is not checked either).
    package func dataAlias() -> Tensor {
        let t = Tensor(storage: storage, shape: shape, strides: strides, offset: offset,
                       requiresGrad: false, isInference: isInference, versionCounter: VersionCounter())
        t.isDetached = true
        return t
    }

    /// `x.data = t`: this tensor now uses `t`'s memory, at `t`'s shape, keeping its own
    /// autograd metadata and version counter (no bump). Views taken before keep the old memory.
    package func setData(_ t: Tensor) throws {
        if requiresGrad && !t.dtype.isFloatingPoint {
            throw TensorError.runtime("data set to a tensor that requires gradients must be floating point or complex dtype")
        }
        StatementJournal.willChange(self)
        // Keep the counter this tensor (and its views) had, not the new memory's.
        if versionCounterOverride == nil { versionCounterOverride = storage }
        storage = t.storage
        shape = t.shape
        strides = t.strides
        offset = t.offset
    }

    /// `detach_()`: cuts this tensor from its graph in place.
    package func detachInPlace() throws -> Tensor {
        if viewBase != nil && requiresGrad {
            throw TensorError.runtime("Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        }
        StatementJournal.willChange(self)
        setGradFn(nil)
        ownRequiresGrad = false
        isDetached = true
        return self
    }

    /// A contiguous tensor with the same values: self when already contiguous.
    package func contiguous() throws -> Tensor {
        if isContiguous { return self }
        return try clone()
    }

    // MARK: cat and stack

    package static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.runtime("torch.cat(): expected a non-empty list of Tensors") }
        let parts = tensors.filter { !($0.rank == 1 && $0.numel == 0) }
        guard let ref = parts.first else { return try first.clone() }
        for t in parts where t.rank == 0 {
            throw TensorError.runtime("zero-dimensional tensor (at position \(tensors.firstIndex { $0 === t } ?? 0)) cannot be concatenated")
        }
        let d = try Shape.normalize(dim: dim, rank: ref.rank)
        var dt = ref.dtype
        for (i, t) in parts.enumerated() {
            dt = promote(dt, t.dtype)
            guard t.rank == ref.rank else {
                throw TensorError.runtime("Tensors must have same number of dimensions: got \(ref.rank) and \(t.rank)")
            }
            for k in 0..<ref.rank where k != d && t.shape[k] != ref.shape[k] {
                throw TensorError.runtime("Sizes of tensors must match except in dimension \(d). Expected size \(ref.shape[k]) but got size \(t.shape[k]) for tensor number \(i) in the list.")
            }
        }
        var outShape = ref.shape
        outShape[d] = parts.reduce(0) { $0 + $1.shape[d] }
        let out = try Tensor(zeros: outShape, dtype: dt)
        var start = 0
        var sizes: [Int] = []
        try GradModeState.withGradMode(.noGrad) {
            for t in parts {
                let n = t.shape[d]
                try Kernel.copy(t, into: out.slice(dim: d, start: start, end: start + n))
                start += n
                sizes.append(n)
            }
        }
        guard Recorder.shouldRecord(parts) else { return Recorder.unrecorded(out, parts) }
        return try Recorder.record("CatBackward0", inputs: parts, output: out) { ctx, g in
            var grads: [Tensor?] = []
            var s = 0
            for (i, n) in sizes.enumerated() {
                grads.append(ctx.needsGrad(i) ? try g.slice(dim: d, start: s, end: s + n) : nil)
                s += n
            }
            return grads
        }
    }

    package static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.runtime("stack expects a non-empty TensorList") }
        for (i, t) in tensors.enumerated() where t.shape != first.shape {
            throw TensorError.runtime("stack expects each tensor to be equal size, but got \(first.shape) at entry 0 and \(t.shape) at entry \(i)")
        }
        let d = try Shape.normalize(dim: dim, rank: first.rank + 1)
        let unsqueezed = try GradModeState.withGradMode(.noGrad) { try tensors.map { try $0.unsqueeze(d) } }
        let out = try GradModeState.withGradMode(.noGrad) { try cat(unsqueezed, dim: d) }
        let count = tensors.count
        guard Recorder.shouldRecord(tensors) else { return Recorder.unrecorded(out, tensors) }
        return try Recorder.record("StackBackward0", inputs: tensors, output: out) { ctx, g in
            try (0..<count).map { ctx.needsGrad($0) ? try g.select(dim: d, index: $0) : nil }
        }
    }
}
