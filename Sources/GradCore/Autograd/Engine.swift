/// Runs backward passes: an iterative walk of the graph in dependency order, so a
/// 100,000-node chain needs no deep stack.
package enum AutogradEngine {
    /// `tensor.backward(gradient:retainGraph:)`: accumulates into the leaves' `.grad`.
    package static func backward(_ root: Tensor, gradient: Tensor? = nil,
                                retainGraph: Bool? = nil, createGraph: Bool = false) throws {
        let seed = try rootGradient(root, gradient, index: 0)
        _ = try run(roots: [(root, seed)], inputs: nil,
                    retainGraph: retainGraph ?? createGraph, createGraph: createGraph, allowUnused: true)
    }

    /// `autograd.grad(outputs, inputs)`: returns the gradients and leaves `.grad` alone.
    package static func grad(outputs: [Tensor], inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
                            retainGraph: Bool? = nil, createGraph: Bool = false,
                            allowUnused: Bool = false) throws -> [Tensor?] {
        var roots: [(Tensor, Tensor)] = []
        for (i, out) in outputs.enumerated() {
            let g = gradOutputs.flatMap { i < $0.count ? $0[i] : nil }
            roots.append((out, try rootGradient(out, g, index: i)))
        }
        for t in inputs where !t.requiresGrad {
            throw TensorError.runtime("One of the differentiated Tensors does not require grad")
        }
        return try run(roots: roots, inputs: inputs, retainGraph: retainGraph ?? createGraph,
                       createGraph: createGraph, allowUnused: allowUnused)
    }

    /// `autograd.backward(tensors, grad_tensors)`: one pass from several roots at once, so
    /// nodes they share run once with the summed gradient, as in PyTorch.
    package static func backward(_ roots: [Tensor], gradients: [Tensor?], retainGraph: Bool? = nil,
                                createGraph: Bool = false) throws {
        guard gradients.isEmpty || gradients.count == roots.count else {
            throw TensorError.runtime("got \(roots.count) tensors and \(gradients.count) gradients")
        }
        var seeded: [(Tensor, Tensor)] = []
        for (i, root) in roots.enumerated() {
            seeded.append((root, try rootGradient(root, gradients.isEmpty ? nil : gradients[i], index: i)))
        }
        _ = try run(roots: seeded, inputs: nil, retainGraph: retainGraph ?? createGraph,
                    createGraph: createGraph, allowUnused: true)
    }

    static func rootGradient(_ root: Tensor, _ gradient: Tensor?, index: Int) throws -> Tensor {
        guard root.requiresGrad else {
            throw TensorError.runtime(AutogradMessage.noGradFn(index))
        }
        if let g = gradient {
            if g.shape != root.shape {
                throw TensorError.runtime("Mismatch in shape: grad_output[\(index)] has a shape of \(Shape.torchSize(g.shape)) and output[\(index)] has a shape of \(Shape.torchSize(root.shape)).")
            }
            return g
        }
        guard root.numel == 1 else { throw TensorError.runtime(AutogradMessage.implicitScalar) }
        return try GradModeState.withGradMode(.noGrad) { try Tensor.full(root.shape, .float(1), dtype: root.dtype) }
    }

    private static func run(roots: [(Tensor, Tensor)], inputs: [Tensor]?, retainGraph: Bool,
                            createGraph: Bool, allowUnused: Bool) throws -> [Tensor?] {
        // Where each wanted input's gradient is collected (autograd.grad).
        var captureIndex: [ObjectIdentifier: [Int]] = [:]
        if let inputs {
            for (i, t) in inputs.enumerated() {
                let node = try t.gradFn ?? Recorder.accumulator(for: t)
                captureIndex[ObjectIdentifier(node), default: []].append(i)
            }
        }
        var rootNodes: [(Node, Tensor)] = []
        for (t, g) in roots {
            let node = try t.gradFn ?? Recorder.accumulator(for: t)
            rootNodes.append((node, g))
        }

        // Count, for every reachable node, how many edges point to it.
        var dependencies: [ObjectIdentifier: Int] = [:]
        var seen = Set<ObjectIdentifier>()
        var stack: [Node] = []
        for (n, _) in rootNodes where seen.insert(ObjectIdentifier(n)).inserted { stack.append(n) }
        while let n = stack.popLast() {
            for case let e? in n.nextEdges {
                let id = ObjectIdentifier(e.node)
                dependencies[id, default: 0] += 1
                if seen.insert(id).inserted { stack.append(e.node) }
            }
        }

        var buffers: [ObjectIdentifier: Tensor] = [:]
        var captured = [Tensor?](repeating: nil, count: inputs?.count ?? 0)
        let mode: GradModeChange = createGraph ? .enableGrad : .noGrad

        try GradModeState.withGradMode(mode) {
            for (n, g) in rootNodes {
                try accumulate(g, into: &buffers, for: n, createGraph: createGraph)
            }
            var ready: [Node] = []
            var queued = Set<ObjectIdentifier>()
            for (n, _) in rootNodes where dependencies[ObjectIdentifier(n), default: 0] == 0 {
                if queued.insert(ObjectIdentifier(n)).inserted { ready.append(n) }
            }
            while let node = ready.popLast() {
                let id = ObjectIdentifier(node)
                guard let grad = buffers.removeValue(forKey: id) else {
                    // No gradient arrived (every path into it was nil): release the nodes after it.
                    for case let edge? in node.nextEdges {
                        let eid = ObjectIdentifier(edge.node)
                        let left = dependencies[eid, default: 1] - 1
                        dependencies[eid] = left
                        if left == 0 { ready.append(edge.node) }
                    }
                    continue
                }
                if let slots = captureIndex[id] {
                    for s in slots { captured[s] = grad }
                }
                for weak in node.retainedGradTensors {
                    if let t = weak.tensor { try accumulateGrad(grad, into: t, createGraph: createGraph) }
                }
                if let leaf = node.variable {
                    if inputs == nil { try accumulateGrad(grad, into: leaf, createGraph: createGraph) }
                    continue
                }
                guard let rule = node.backwardRule else { continue }
                let inputGrads = try rule(BackwardContext(node: node), grad)
                if !retainGraph { node.releaseSaved() }
                for (i, edge) in node.nextEdges.enumerated() {
                    guard let edge else { continue }
                    let eid = ObjectIdentifier(edge.node)
                    if i < inputGrads.count, let g = inputGrads[i] {
                        try accumulate(g, into: &buffers, for: edge.node, createGraph: createGraph)
                    }
                    let left = dependencies[eid, default: 1] - 1
                    dependencies[eid] = left
                    if left == 0 { ready.append(edge.node) }
                }
            }
        }

        if inputs != nil && !allowUnused {
            for g in captured where g == nil {
                throw TensorError.runtime("One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
            }
        }
        return captured
    }

    private static func accumulate(_ g: Tensor, into buffers: inout [ObjectIdentifier: Tensor],
                                   for node: Node, createGraph: Bool) throws {
        let id = ObjectIdentifier(node)
        if let existing = buffers[id] {
            buffers[id] = try existing.add(g)
        } else {
            buffers[id] = g
        }
    }

    /// `.grad` semantics: the first gradient is stored as a fresh tensor, later ones are
    /// added in place (or out of place when building a graph of the gradient).
    static func accumulateGrad(_ g: Tensor, into t: Tensor, createGraph: Bool) throws {
        var incoming = g
        if incoming.shape != t.shape { incoming = try incoming.sumTo(t.shape) }
        if let existing = t.grad {
            if createGraph || existing.requiresGrad {
                t.grad = try existing.add(incoming)
            } else {
                try existing.addInPlaceUnchecked(incoming)
            }
        } else {
            let fresh = createGraph ? incoming : try incoming.freshCopy()
            fresh.isGradient = true
            t.grad = fresh
        }
    }
}

extension Tensor {
    /// `backward(gradient:retainGraph:)`.
    package func backward(gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false) throws {
        try AutogradEngine.backward(self, gradient: gradient, retainGraph: retainGraph, createGraph: createGraph)
    }

    /// `retain_grad()`: keep this non-leaf's gradient in `.grad` during backward.
    package func retainGrad() throws {
        guard requiresGrad else {
            throw TensorError.runtime("can't retain_grad on Tensor that has requires_grad=False")
        }
        guard let fn = try gradFn, !retainsGrad else { return }
        StatementJournal.willChange(self)
        retainsGrad = true
        fn.retainedGradTensors.append(WeakTensor(tensor: self))
    }
}
