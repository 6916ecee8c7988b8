import GradCore

/// The line shown under every displayed tensor: whether it carries a graph, and if not, why.
package enum GraphLine {
    /// Nodes the line walks at most: past this it says "more than" (`:mem` walks all).
    static let nodeLimit = 1000

    /// Why a tensor does or does not carry a graph, read off the facts recorded on it; both
    /// styles of the line are made from it, so they can never disagree.
    package enum Cause: Equatable {
        case invalidView(inference: Bool)
        case graph
        case viewThroughBase(ViewCreation)
        case inferenceLeafRequiringGrad
        case leaf
        case notFloatingPoint
        case inferenceTensor
        case gradient
        case detached
        case madeInInferenceMode
        case gradOff(block: String?, line: Int, setAt: Int?)
        case madeFromInferenceOnly
        case inputsNeedNoGrad

        /// The cause's name in `--json` events.
        package var name: String {
            switch self {
            case .invalidView: return "invalid_view"
            case .graph: return "graph"
            case .viewThroughBase: return "view_of_tensor_requiring_grad"
            case .inferenceLeafRequiringGrad: return "inference_leaf_requiring_grad"
            case .leaf: return "leaf_requiring_grad"
            case .notFloatingPoint: return "not_floating_point"
            case .inferenceTensor: return "inference_tensor"
            case .gradient: return "gradient"
            case .detached: return "detached"
            case .madeInInferenceMode: return "made_in_inference_mode"
            case .gradOff: return "grad_mode_off"
            case .madeFromInferenceOnly: return "made_from_inference_tensors_only"
            case .inputsNeedNoGrad: return "inputs_need_no_grad"
            }
        }
    }

    /// The facts of the graph line as JSON (`--json`'s `graph` field), so a tool can show
    /// them without reading the sentence.
    package static func facts(_ t: Tensor, variables: Scope?) -> String {
        let cause = cause(t)
        var fields = ["\"carries_graph\": \(cause == .graph)", "\"cause\": \"\(cause.name)\""]
        if cause == .graph {
            let stats = t.graphStats(upTo: nodeLimit)
            fields.append("\"nodes\": \(stats.nodeCount)")
            fields.append("\"nodes_counted_all\": \(!stats.isPartial)")
            fields.append("\"saved_tensors\": \(stats.savedTensorCount)")
            fields.append("\"saved_bytes\": \(stats.savedBytes)")
            fields.append("\"graph_only_bytes\": " + (variables.map { String(graphOnlyBytes(t, variables: $0)) } ?? "null"))
        }
        let block = t.site.scopes.last.map { JSONEvents.string($0) } ?? "null"
        fields.append("\"made_at\": {\"line\": \(t.site.line), \"block\": \(block)}")
        fields.append("\"explanation\": " + JSONEvents.string(describe(t, variables: variables)))
        return "{" + fields.joined(separator: ", ") + "}"
    }

    package static func cause(_ t: Tensor) -> Cause {
        if t.isGradFnInvalid { return .invalidView(inference: t.viewCreation == .inference) }
        if t.gradFnOrRecorded != nil { return .graph }
        if t.requiresGrad {
            if t.viewBase != nil, !t.ownRequiresGrad { return .viewThroughBase(t.viewCreation) }
            return t.isInference ? .inferenceLeafRequiringGrad : .leaf
        }
        if !t.dtype.isFloatingPoint { return .notFloatingPoint }
        if t.isInference { return .inferenceTensor }
        if t.isGradient { return .gradient }
        if t.isDetached { return .detached }
        if t.statementMode.isInferenceEnabled { return .madeInInferenceMode }
        if !t.statementMode.isGradEnabled { return .gradOff(block: t.site.scopes.last, line: t.site.line, setAt: t.site.gradFlagSetAt) }
        if t.madeFromInferenceOnly { return .madeFromInferenceOnly }
        return .inputsNeedNoGrad
    }

    /// `variables`: the session's variables; with them the line also says how much of the
    /// saved memory only the graph keeps alive (the rest is held by named tensors anyway).
    /// `short`: the same facts in a few words, for a projector.
    package static func describe(_ t: Tensor, variables: Scope? = nil, short: Bool = false) -> String {
        let cause = cause(t)
        if cause == .graph, let fn = t.gradFnOrRecorded {
            let stats = t.graphStats(upTo: nodeLimit)
            if stats.isPartial {
                if short { return "graph: \(fn.name), over \(nodeLimit) nodes" }
                let saved = stats.savedTensorCount == 0 ? "" : ", at least \(stats.savedTensorCount) saved tensors (\(formatBytes(stats.savedBytes)))"
                return "graph: grad_fn=\(fn.name), more than \(nodeLimit) nodes\(saved); :mem counts them all"
            }
            let nodes = "\(stats.nodeCount) node\(stats.nodeCount == 1 ? "" : "s")"
            if short { return "graph: \(fn.name), \(nodes), \(formatBytes(stats.savedBytes)) saved" }
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
        return short ? shortText(cause, t) : longText(cause, t)
    }

    private static func longText(_ cause: Cause, _ t: Tensor) -> String {
        switch cause {
        case .invalidView(let inference):
            let mode = inference ? "inference mode" : GradModeKind.noGrad.rawValue
            return "graph: unusable (grad_fn=<Invalid>): a view made under \(mode) whose memory was changed in place since; autograd refuses to use it"
        case .graph:
            return "graph"
        case .viewThroughBase(let creation):
            let how: String
            switch creation {
            case .inference: how = "a view taken in inference mode of a tensor that requires grad"
            case .noGrad: how = "a view taken under no_grad of a tensor that requires grad"
            case .normal: how = "a view taken before its base was made to require grad"
            }
            return "no graph: \(how); it reports requires_grad=True through its base, but autograd recorded nothing and no gradient reaches it"
        case .inferenceLeafRequiringGrad:
            return "leaf inference tensor that requires grad: ops on inference tensors alone record nothing, and saving it for backward fails"
        case .leaf:
            return "leaf that requires grad: backward() accumulates into its .grad"
        case .notFloatingPoint:
            return "no graph: \(t.dtype.name) tensors never carry one; only floating-point tensors can require grad"
        case .inferenceTensor:
            return "no graph: inference tensor (made in inference mode); autograd cannot save it for backward, and outside inference mode it cannot be changed in place or made to require grad"
        case .gradient:
            return "no graph: a gradient computed by backward(); later backward passes add into it in place"
        case .detached:
            return "no graph: detached from the graph (shares memory with the original)"
        case .madeInInferenceMode:
            return "no graph: made in inference mode, so autograd did not record it"
        case .gradOff(let block, let line, let setAt):
            if let block { return "no graph: made inside `\(block)` (line \(line)), so autograd did not record it" }
            let call = setAt.map { "set_grad_enabled(False) at line \($0)" } ?? "set_grad_enabled(False)"
            return "no graph: made with grad mode off (\(call)), so autograd did not record it"
        case .madeFromInferenceOnly:
            return "no graph: made only from inference tensors, which autograd does not track even when they require grad"
        case .inputsNeedNoGrad:
            return "no graph: nothing it was made from requires grad"
        }
    }

    private static func shortText(_ cause: Cause, _ t: Tensor) -> String {
        switch cause {
        case .invalidView: return "graph: unusable (grad_fn=<Invalid>)"
        case .graph: return "graph"
        case .viewThroughBase: return "no graph: a view of a tensor that requires grad"
        case .inferenceLeafRequiringGrad: return "leaf inference tensor, requires grad"
        case .leaf: return "leaf, requires grad"
        case .notFloatingPoint: return "no graph: \(t.dtype.name)"
        case .inferenceTensor: return "no graph: inference tensor"
        case .gradient: return "no graph: a gradient"
        case .detached: return "no graph: detached"
        case .madeInInferenceMode: return "no graph: inference mode"
        case .gradOff(let block, let line, _): return "no graph: \(block ?? "grad mode off") (line \(line))"
        case .madeFromInferenceOnly: return "no graph: from inference tensors only"
        case .inputsNeedNoGrad: return "no graph: no input requires grad"
        }
    }

    /// Bytes of the storages the graph saved that no variable holds: what freeing the
    /// graph would give back.
    package static func graphOnlyBytes(_ t: Tensor, variables: Scope) -> Int {
        let held = variables.heldStorages
        return t.graphSavedStorages.filter { !held.contains(ObjectIdentifier($0)) }.reduce(0) { $0 + $1.byteCount }
    }
}
