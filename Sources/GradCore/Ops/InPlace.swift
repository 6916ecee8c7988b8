/// In-place ops. Every one goes through `modifyInPlace`, which enforces PyTorch's rules
/// (inference tensors, leaves, views of leaves), bumps the version counter exactly once,
/// and rewires the graph: the tensor's `gradFn` becomes the op's node, or, through a view,
/// its base's becomes `CopySlices`.
extension Tensor {
    /// Runs `compute` on the current value and writes its result into this tensor's memory.
    /// `compute` builds the new value out of place (recording normally); nothing is written
    /// until it has succeeded, so a failing op changes nothing.
    /// `direct`, when given, is tried first where nothing is recorded: it updates the memory
    /// itself and returns true, or returns false (changing nothing) to fall back to `compute`.
    @discardableResult
    func modifyInPlace(others: [Tensor], direct: ((Tensor) -> Bool)? = nil, _ compute: (Tensor) throws -> Tensor) throws -> Tensor {
        let mode = GradModeState.current
        // PyTorch's check_inplace, in its order: only an op that autograd records is checked
        // against views made under no_grad or inference mode and against leaves.
        let recording = mode.isRecording && (requiresGrad || others.contains { $0.requiresGrad })
            && !(isInference && others.allSatisfy(\.isInference))
        if recording {
            if let base = viewBase {
                if let error = viewCreation.rebaseError(indirect: false) { throw error }
                if requiresGrad, try base.isLeaf { throw TensorError.runtime(AutogradMessage.viewOfLeafInPlace) }
            }
            if requiresGrad, try isLeaf { throw TensorError.runtime(AutogradMessage.leafInPlace) }
        }
        if isInference && !mode.isInferenceEnabled {
            throw TensorError.runtime(AutogradMessage.inferenceInPlace)
        }
        StatementJournal.willWrite(self)
        if !recording {
            if let direct, direct(self) {
                bumpVersion()
                return self
            }
            let result = try GradModeState.withGradMode(.noGrad) { try compute(self) }
            try checkInPlaceResult(result)
            try Kernel.copy(result, into: self)
            bumpVersion()
            return self
        }
        // The op reads a snapshot: the old value must survive for its backward rule.
        let snapshot = try freshCopy()
        snapshot.recordedGradFn = try gradFn
        snapshot.ownRequiresGrad = requiresGrad
        StatementJournal.willChange(self)
        let result = try compute(snapshot)
        try checkInPlaceResult(result)
        if let base = viewBase {
            // Through a view: the base's history becomes CopySlices (the base with the view's
            // region replaced by the op's result), and the view's own is rebuilt over it.
            let region = try regionIndices(in: base)
            let baseEdge = try Recorder.edge(to: base)
            try Kernel.copy(result, into: self)
            bumpVersion()
            result.recordedGradFn?.rebaseSavedOutput(onto: self)
            let copySlices = try Tensor.copySlices(base: base, baseEdge: baseEdge, region: region, viewShape: shape,
                                                   op: result, opInput: snapshot)
            base.setGradFn(copySlices)
            _ = try gradFn
        } else {
            try Kernel.copy(result, into: self)
            bumpVersion()
            setGradFn(result.recordedGradFn)
            ownRequiresGrad = result.requiresGrad
            result.recordedGradFn?.rebaseSavedOutput(onto: self)
        }
        return self
    }

    /// PyTorch's `CopySlices`: the base's new history after an in-place op through a view.
    /// It stands for the op itself: its inputs are the base (in place of the view) and the
    /// op's other inputs, and its backward runs the op's backward on the view's slice of
    /// the gradient and writes the result for the old value back into that slice, so the
    /// graph has the same nodes as PyTorch's. An op whose node does not take the view as
    /// its first input falls back to routing the slice through the op's node.
    static func copySlices(base: Tensor, baseEdge: Edge?, region: [Int], viewShape: [Int],
                           op result: Tensor, opInput snapshot: Tensor) throws -> Node {
        let slice = GatherPlan(outputShape: viewShape, sourceIndices: region)
        let viewNode = snapshot.recordedGradFn
        if let fn = result.recordedGradFn, let rule = fn.backwardRule, !fn.nextEdges.isEmpty,
           fn.nextEdges[0]?.node === viewNode || (fn.nextEdges[0] == nil && viewNode == nil) {
            var edges = fn.nextEdges
            edges[0] = baseEdge
            let node = Node(name: "CopySlices", nextEdges: edges, saved: []) { ctx, g in
                let inner = try rule(BackwardContext(node: fn), try g.regionGather(slice))
                let gOld = try (inner.first ?? nil) ?? Tensor.zeros(viewShape, dtype: g.dtype)
                let gBase = ctx.needsGrad(0) ? try g.regionReplaced(by: gOld, plan: slice) : nil
                return [gBase] + inner.dropFirst()
            }
            node.wrapped = fn
            return node
        }
        return Node(name: "CopySlices", nextEdges: [baseEdge, try Recorder.edge(to: result)], saved: []) { _, g in
            [try g.regionReplaced(by: Tensor.zeros(viewShape, dtype: g.dtype), plan: slice), try g.regionGather(slice)]
        }
    }

    /// Any out-of-place function turned into an in-place op (`exp_`, `neg_`, ...), with every
    /// rule of `modifyInPlace`.
    package func applyInPlace(_ compute: (Tensor) throws -> Tensor) throws -> Tensor {
        try modifyInPlace(others: [], compute)
    }

    private func checkInPlaceResult(_ result: Tensor) throws {
        if result.shape != shape {
            throw TensorError.runtime("output with shape \(shape) doesn't match the broadcast shape \(result.shape)")
        }
        if result.dtype > dtype {
            throw TensorError.runtime("result type \(result.dtype.scalarTypeName) can't be cast to the desired output type \(dtype.scalarTypeName)")
        }
    }

    // MARK: the in-place methods

    package func addInPlace(_ other: Tensor, alpha: Scalar? = nil) throws -> Tensor {
        let a = Float(alpha?.doubleValue ?? 1)
        return try modifyInPlace(others: [other], direct: { Kernel.update($0, with: other) { $0 + a * $1 } }) { cur in
            try cur.add(alpha.map { try other.mul(Tensor.wrapping($0)) } ?? other)
        }
    }

    package func subInPlace(_ other: Tensor, alpha: Scalar? = nil) throws -> Tensor {
        let a = Float(alpha?.doubleValue ?? 1)
        return try modifyInPlace(others: [other], direct: { Kernel.update($0, with: other) { $0 - a * $1 } }) { cur in
            try cur.sub(alpha.map { try other.mul(Tensor.wrapping($0)) } ?? other)
        }
    }

    package func mulInPlace(_ other: Tensor) throws -> Tensor {
        try modifyInPlace(others: [other], direct: { Kernel.update($0, with: other, *) }) { try $0.mul(other) }
    }

    package func divInPlace(_ other: Tensor) throws -> Tensor {
        try modifyInPlace(others: [other], direct: { Kernel.update($0, with: other, /) }) { try $0.div(other) }
    }

    package func powInPlace(_ other: Tensor) throws -> Tensor {
        try modifyInPlace(others: [other]) { try $0.pow(other) }
    }

    package func clampInPlace(min lo: Scalar?, max hi: Scalar?) throws -> Tensor {
        try modifyInPlace(others: []) { try $0.clamp(min: lo, max: hi) }
    }

    package func reluInPlace() throws -> Tensor {
        try modifyInPlace(others: []) { try $0.relu() }
    }

    package func zeroInPlace() throws -> Tensor {
        try modifyInPlace(others: []) { cur in
            let out = try Tensor.zeros(cur.shape, dtype: cur.dtype)
            guard Recorder.shouldRecord(cur) else { return Recorder.unrecorded(out, cur) }
            return try Recorder.record("ZeroBackward0", inputs: [cur], output: out) { _, g in
                [try g.mul(Tensor.wrapping(.float(0)))]
            }
        }
    }

    package func fillInPlace(_ value: Scalar) throws -> Tensor {
        try fillInPlace(Tensor.wrapping(value.checked(for: dtype)))
    }

    /// `fill_(v)` with a 0-d tensor value.
    package func fillInPlace(_ value: Tensor) throws -> Tensor {
        guard value.rank == 0 else {
            throw TensorError.runtime("fill_ only supports 0-dimension value tensor but got tensor with \(value.rank) dimensions.")
        }
        return try modifyInPlace(others: [value]) { cur in
            let out = try GradModeState.withGradMode(.noGrad) {
                try value.converted(to: cur.dtype).expand(cur.shape).freshCopy()
            }
            // PyTorch's Scalar overload (a Python number) and Tensor overload record different nodes.
            if value.isWrappedNumber {
                guard Recorder.shouldRecord(cur) else { return Recorder.unrecorded(out, cur) }
                return try Recorder.record("FillBackward2", inputs: [cur], output: out) { _, g in
                    [try g.mul(Tensor.wrapping(.float(0)))]
                }
            }
            guard Recorder.shouldRecord(cur, value) else { return Recorder.unrecorded(out, cur, value) }
            return try Recorder.record("FillBackward3", inputs: [cur, value], output: out) { ctx, g in
                [ctx.needsGrad(0) ? try g.mul(Tensor.wrapping(.float(0))) : nil,
                 ctx.needsGrad(1) ? try g.sum() : nil]
            }
        }
    }

    /// `copy_(src)`: src is broadcast to this tensor's shape and converted to its dtype.
    package func copyInPlace(_ src: Tensor) throws -> Tensor {
        let target = try Shape.broadcast(shape, src.shape)
        if target != shape {
            throw TensorError.runtime("output with shape \(shape) doesn't match the broadcast shape \(target)")
        }
        return try modifyInPlace(others: [src]) { cur in
            let out = try GradModeState.withGradMode(.noGrad) {
                try src.converted(to: cur.dtype).expand(cur.shape).freshCopy()
            }
            let srcShape = src.shape, srcDtype = src.dtype
            guard Recorder.shouldRecord(cur, src) else { return Recorder.unrecorded(out, cur, src) }
            return try Recorder.record("CopyBackwards", inputs: [cur, src], output: out) { ctx, g in
                [ctx.needsGrad(0) ? try g.mul(Tensor.wrapping(.float(0))) : nil,
                 ctx.needsGrad(1) ? try g.converted(to: srcDtype).sumTo(srcShape) : nil]
            }
        }
    }

    /// Adds `g` into this tensor's memory without any checks: how backward accumulates `.grad`.
    func addInPlaceUnchecked(_ g: Tensor) throws {
        StatementJournal.willWrite(self)
        if Kernel.update(self, with: g, +) {
            bumpVersion()
            return
        }
        let sum = try GradModeState.withGradMode(.noGrad) { try add(g.converted(to: dtype)) }
        try Kernel.copy(sum, into: self)
        bumpVersion()
    }
}

