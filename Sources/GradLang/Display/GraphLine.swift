import GradCore

/// The line shown under every displayed tensor: whether it carries a graph, and if not, why.
public enum GraphLine {
    public static func describe(_ t: Tensor) -> String {
        if let fn = t.gradFn {
            let stats = t.graphStats
            let nodes = "\(stats.nodeCount) node\(stats.nodeCount == 1 ? "" : "s")"
            let saved = stats.savedTensorCount == 0
                ? "no saved tensors"
                : "\(stats.savedTensorCount) saved tensor\(stats.savedTensorCount == 1 ? "" : "s") holding \(formatBytes(stats.savedBytes))"
            return "graph: grad_fn=\(fn.name), \(nodes), \(saved) alive for backward"
        }
        if t.requiresGrad {
            return "leaf that requires grad: backward() accumulates into its .grad"
        }
        if t.isInference {
            return "no graph: inference tensor (made in inference mode); autograd cannot save it for backward, and outside inference mode it cannot be changed in place or made to require grad"
        }
        if t.isGradient {
            return "no graph: a gradient computed by backward(); later backward passes add into it in place"
        }
        if t.isDetached {
            return "no graph: detached from the graph (shares memory with the original)"
        }
        if t.creationMode.isInferenceEnabled {
            return "no graph: made in inference mode, so autograd did not record it"
        }
        if !t.creationMode.isGradEnabled {
            if let block = t.origin?.blocks.last {
                return "no graph: made inside `\(block)` (line \(t.origin!.line)), so autograd did not record it"
            }
            return "no graph: made with grad mode off (set_grad_enabled(False)), so autograd did not record it"
        }
        return "no graph: none of its inputs requires grad"
    }
}
