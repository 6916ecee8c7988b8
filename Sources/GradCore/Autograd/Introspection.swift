/// What a tensor's graph costs: the numbers the shell shows after every result.
package struct GraphStats: Equatable, Sendable {
    /// Distinct backward nodes reachable from the tensor's `grad_fn`, AccumulateGrad included.
    package var nodeCount: Int
    /// Tensors those nodes keep alive for backward.
    package var savedTensorCount: Int
    /// Bytes of the distinct storages those saved tensors keep alive.
    package var savedBytes: Int
    /// Set when the walk stopped at its node limit: the figures are lower bounds.
    package var isPartial = false
}

extension Tensor {
    /// Walks the graph iteratively (deep graphs must not overflow the stack).
    package var graphStats: GraphStats { graphStats(upTo: .max) }

    /// The stats of at most `limit` nodes: the line under every displayed result stays
    /// cheap however deep the graph (20,000 results of `y = y + 1` walk 20,000 nodes each
    /// otherwise), and says when it stopped.
    package func graphStats(upTo limit: Int) -> GraphStats {
        guard let root = gradFnOrRecorded else { return GraphStats(nodeCount: 0, savedTensorCount: 0, savedBytes: 0) }
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var storages = Set<ObjectIdentifier>()
        var stack = [root]
        var stats = GraphStats(nodeCount: 0, savedTensorCount: 0, savedBytes: 0)
        while let node = stack.popLast() {
            if stats.nodeCount == limit {
                stats.isPartial = true
                break
            }
            stats.nodeCount += 1
            for t in node.liveSavedTensors {
                stats.savedTensorCount += 1
                if storages.insert(ObjectIdentifier(t.storage)).inserted { stats.savedBytes += t.storage.byteCount }
            }
            for case let e? in node.nextEdges where seen.insert(ObjectIdentifier(e.node)).inserted {
                stack.append(e.node)
            }
        }
        return stats
    }
}

extension Tensor {
    /// The distinct storages the graph behind this tensor keeps alive for backward.
    package var graphSavedStorages: [Storage] {
        guard let root = gradFnOrRecorded else { return [] }
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var storages: [ObjectIdentifier: Storage] = [:]
        var stack = [root]
        while let node = stack.popLast() {
            for t in node.liveSavedTensors { storages[ObjectIdentifier(t.storage)] = t.storage }
            for case let e? in node.nextEdges where seen.insert(ObjectIdentifier(e.node)).inserted {
                stack.append(e.node)
            }
        }
        return Array(storages.values)
    }
}

extension Node {
    /// `next_functions`: one (node, input number) pair per input, nil for inputs needing no grad.
    package var nextFunctions: [(Node?, Int)] {
        nextEdges.map { e in e.map { ($0.node, $0.inputNumber) } ?? (nil, 0) }
    }

    /// The saved tensors this node holds right now (empty after they were freed).
    package var savedTensorsForDisplay: [(tensor: Tensor, version: Int)] {
        if savedReleased { return [] }
        return savedTensors.map { ($0.tensor, $0.savedVersion) } + (savedOutput.map { [($0.tensor, $0.savedVersion)] } ?? [])
    }
}
