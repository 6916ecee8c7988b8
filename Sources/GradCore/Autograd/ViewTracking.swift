/// PyTorch's view + in-place model. A view shares memory and version counter with its
/// base; its autograd history derives from the base. When the shared memory changes in
/// place (through the base or through any view), a view's recorded node no longer
/// describes it, and the next read of its `gradFn` builds a new one over the base's
/// current history (`AsStridedBackward0`), exactly when PyTorch's `grad_fn` getter does.

/// How a view was made: PyTorch's `CreationMeta`.
package enum ViewCreation: Sendable {
    /// In grad mode: in-place changes through it or its base are recorded.
    case normal
    /// Under no_grad / set_grad_enabled(False).
    case noGrad
    /// Inside inference mode, from a normal tensor.
    case inference

    /// The creation meta of a view made now.
    static func forCurrentMode() -> ViewCreation {
        let mode = GradModeState.current
        if mode.isInferenceEnabled { return .inference }
        return mode.isGradEnabled ? .normal : .noGrad
    }

    /// PyTorch's error for an in-place change to the view itself (`direct`) or to its base
    /// or another view (`indirect`) that autograd would have to record.
    func rebaseError(indirect: Bool) -> TensorError? {
        let what: String
        let block: String
        switch self {
        case .normal: return nil
        case .noGrad:
            what = indirect
                ? "A view was created in no_grad mode and its base or another view of its base has been modified inplace with grad mode enabled."
                : "A view was created in no_grad mode and is being modified inplace with grad mode enabled."
            block = GradModeKind.noGrad.torchName
        case .inference:
            what = indirect
                ? "A view was created in inference mode and its base or another view of its base has been modified inplace in normal mode."
                : "A view was created in inference mode and is being modified inplace in normal mode."
            block = GradModeKind.inference.torchName
        }
        return .runtime(what + " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the \(block) block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
    }
}

extension Tensor {
    /// PyTorch's `grad_fn`: the node that produced this tensor, nil for a leaf. For a view
    /// whose memory changed in place since its node was recorded, a new node is built over
    /// the base's current history; a view made under no_grad or inference mode cannot be
    /// rebuilt that way and reading it fails with PyTorch's error.
    package var gradFn: Node? {
        get throws {
            guard let base = viewBase else { return recordedGradFn }
            if recordedGradFn == nil && !base.requiresGrad { return nil }
            let current = versionCounter.value
            if attrVersion == current { return recordedGradFn }
            if let error = viewCreation.rebaseError(indirect: true) { throw error }
            let fn = try asStridedNode(over: base)
            setGradFn(fn)
            return fn
        }
    }

    /// The node for display and memory accounting: `gradFn`, or the recorded node when
    /// reading `gradFn` fails (PyTorch's repr shows `grad_fn=<Invalid>` then).
    package var gradFnOrRecorded: Node? { (try? gradFn) ?? recordedGradFn }

    /// Whether reading `gradFn` fails (a view made under no_grad or inference mode whose
    /// memory changed in place since).
    package var isGradFnInvalid: Bool {
        do { _ = try gradFn; return false } catch { return true }
    }

    /// Sets this tensor's node, as PyTorch's `set_gradient_edge`: a view remembers the
    /// version it was set at, and a `retain_grad()` registration moves to the new node so
    /// `.grad` keeps meaning the gradient of the tensor's latest value.
    func setGradFn(_ node: Node?) {
        StatementJournal.willChange(self)
        let old = recordedGradFn
        recordedGradFn = node
        if node != nil { ownRequiresGrad = true }
        if viewBase != nil { attrVersion = versionCounter.value }
        if retainsGrad, old !== node {
            old?.retainedGradTensors.removeAll { $0.tensor === self }
            node?.retainedGradTensors.append(WeakTensor(tensor: self))
        }
    }

    /// `AsStridedBackward0`: the view's gradient written into a zero gradient of the base at
    /// the positions the view covers (added where it covers one element more than once).
    private func asStridedNode(over base: Tensor) throws -> Node {
        let region = try regionIndices(in: base)
        let viewShape = shape, baseShape = base.shape
        return Node(name: "AsStridedBackward0", nextEdges: [try Recorder.edge(to: base)], saved: []) { _, g in
            [try Tensor.regionScatterAdd(g, plan: GatherPlan(outputShape: viewShape, sourceIndices: region), shape: baseShape)]
        }
    }

    // The region operations the view rules' backward passes are made of, each recorded
    // with its own backward so that create_graph=True differentiates through them.

    /// The elements at `plan`'s row-major positions, read as the strided view they are.
    func regionGather(_ plan: GatherPlan) throws -> Tensor {
        let out = try gather(plan)
        guard Recorder.shouldRecord(self) else { return out }
        let fullShape = shape
        return try Recorder.record("AsStridedBackward0", inputs: [self], output: out) { _, g in
            [try Tensor.regionScatterAdd(g, plan: plan, shape: fullShape)]
        }
    }

    /// Zeros of `shape` with `values` added at `plan`'s positions.
    static func regionScatterAdd(_ values: Tensor, plan: GatherPlan, shape: [Int]) throws -> Tensor {
        let out = try scatterAdd(values, plan: plan, shape: shape)
        guard Recorder.shouldRecord(values) else { return out }
        return try Recorder.record("AsStridedScatterBackward0", inputs: [values], output: out) { _, g in
            [try g.regionGather(plan)]
        }
    }

    /// This tensor with the elements at `plan`'s positions replaced by `src`.
    func regionReplaced(by src: Tensor, plan: GatherPlan) throws -> Tensor {
        let out = try freshCopy()
        try Tensor.scatterWrite(src, plan: plan, into: out)
        guard Recorder.shouldRecord(self, src) else { return out }
        return try Recorder.record("AsStridedScatterBackward0", inputs: [self, src], output: out) { ctx, g in
            [ctx.needsGrad(0) ? try g.regionReplaced(by: Tensor.zeros(plan.outputShape, dtype: g.dtype), plan: plan) : nil,
             ctx.needsGrad(1) ? try g.regionGather(plan) : nil]
        }
    }

    /// The row-major linear positions, within `base`, of this view's elements.
    func regionIndices(in base: Tensor) throws -> [Int] {
        try MemoryBudget.checkHostArray(count: Swift.max(numel, base.numel), of: (Int, Int).self)
        var out: [Int] = []
        out.reserveCapacity(numel)
        if base.isContiguous {
            forEachStorageIndex { out.append($0 - base.offset) }
            return out
        }
        var position: [Int: Int] = [:]
        var linear = 0
        base.forEachStorageIndex { position[$0] = linear; linear += 1 }
        var missing = false
        forEachStorageIndex { j in
            if let p = position[j] { out.append(p) } else { missing = true }
        }
        if missing { throw TensorError.runtime("an in-place change through this view cannot be traced back to its base") }
        return out
    }
}
