import GradCore

/// The line shown under every displayed tensor: whether it carries a graph, and if not, why.
package enum GraphLine {
    /// Nodes the line walks at most: past this it says "more than" (`:mem` walks all).
    static let nodeLimit = 1000

    /// `variables`: the session's variables; with them the line also says how much of the
    /// saved memory only the graph keeps alive (the rest is held by named tensors anyway).
    package static func describe(_ t: Tensor, variables: Scope? = nil) -> String {
        if t.isGradFnInvalid {
            let mode = t.viewCreation == .inference ? "inference mode" : GradModeKind.noGrad.rawValue
            return "graph: unusable (grad_fn=<Invalid>): a view made under \(mode) whose memory was changed in place since; autograd refuses to use it"
        }
        if let fn = t.gradFnOrRecorded {
            let stats = t.graphStats(upTo: nodeLimit)
            if stats.isPartial {
                let saved = stats.savedTensorCount == 0 ? "" : ", at least \(stats.savedTensorCount) saved tensors (\(formatBytes(stats.savedBytes)))"
                return "graph: grad_fn=\(fn.name), more than \(nodeLimit) nodes\(saved); :mem counts them all"
            }
            let nodes = "\(stats.nodeCount) node\(stats.nodeCount == 1 ? "" : "s")"
            var saved = stats.savedTensorCount == 0
                ? "no saved tensors"
                : "\(stats.savedTensorCount) saved tensor\(stats.savedTensorCount == 1 ? "" : "s") (\(formatBytes(stats.savedBytes))"
            if stats.savedTensorCount > 0 {
                if let variables {
                    let only = graphOnlyBytes(t, variables: variables)
                    saved += only == 0 ? ", all also held by variables)" : ", \(formatBytes(only)) kept alive only by this graph)"
                } else {
                    saved += ")"
                }
            }
            return "graph: grad_fn=\(fn.name), \(nodes), \(saved)"
        }
        if t.requiresGrad {
            if t.viewBase != nil, !t.ownRequiresGrad {
                let how: String
                switch t.viewCreation {
                case .inference: how = "a view taken in inference mode of a tensor that requires grad"
                case .noGrad: how = "a view taken under no_grad of a tensor that requires grad"
                case .normal: how = "a view taken before its base was made to require grad"
                }
                return "no graph: \(how); it reports requires_grad=True through its base, but autograd recorded nothing and no gradient reaches it"
            }
            if t.isInference {
                return "leaf inference tensor that requires grad: ops on inference tensors alone record nothing, and saving it for backward fails"
            }
            return "leaf that requires grad: backward() accumulates into its .grad"
        }
        if !t.dtype.isFloatingPoint {
            return "no graph: \(t.dtype.name) tensors never carry one; only floating-point tensors can require grad"
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
        if t.statementMode.isInferenceEnabled {
            return "no graph: made in inference mode, so autograd did not record it"
        }
        if !t.statementMode.isGradEnabled {
            if let block = t.site.scopes.last {
                return "no graph: made inside `\(block)` (line \(t.site.line)), so autograd did not record it"
            }
            let call = t.site.gradFlagSetAt.map { "set_grad_enabled(False) at line \($0)" } ?? "set_grad_enabled(False)"
            return "no graph: made with grad mode off (\(call)), so autograd did not record it"
        }
        if t.madeFromInferenceOnly {
            return "no graph: made only from inference tensors, which autograd does not track even when they require grad"
        }
        return "no graph: nothing it was made from requires grad"
    }

    /// Bytes of the storages the graph saved that no variable holds: what freeing the
    /// graph would give back.
    package static func graphOnlyBytes(_ t: Tensor, variables: Scope) -> Int {
        let held = variables.heldStorages
        return t.graphSavedStorages.filter { !held.contains(ObjectIdentifier($0)) }.reduce(0) { $0 + $1.byteCount }
    }
}
