import GradCore

/// Plain-words explanations: `:why NAME`, and the `hint:` after every autograd error, which
/// names the cause and the fix and points at the line where the tensor at fault was made.
package enum Why {
    /// Why `name` does or does not carry a graph, where it came from, and what autograd
    /// will refuse to do with it later.
    package static func explain(_ name: String, _ t: Tensor) -> String {
        let made = "\(name) was made \(t.site.place)"
        var lines: [String] = []
        if t.isGradFnInvalid {
            let mode = t.viewCreation == .inference ? "inside inference mode" : "under no_grad"
            lines.append("\(made) as a view \(mode) of a tensor that requires grad, and the memory it shares was changed in place since.")
            lines.append("Autograd cannot tell whether that change should be part of its graph, so reading \(name).grad_fn, or using \(name) in an op that records, fails.")
            lines.append("Fix: take the view and change the memory in the same mode (both inside the block, or both outside), or use \(name).detach() or \(name).clone().")
        } else if let fn = t.gradFnOrRecorded {
            let stats = t.graphStats
            lines.append("\(made) by an operation on tensors that require grad, with grad mode on, so autograd recorded it.")
            lines.append("It carries a graph: grad_fn=\(fn.name), \(stats.nodeCount) nodes, \(stats.savedTensorCount) saved tensor\(stats.savedTensorCount == 1 ? "" : "s") (\(formatBytes(stats.savedBytes))) kept alive until backward.")
            lines.append("backward() from it sends gradients to the leaves that require grad; \(name).grad stays None unless \(name).retain_grad() is called first.")
        } else if t.requiresGrad && t.isInference {
            lines.append("\(made) inside inference mode with requires_grad=True: an inference tensor that is a leaf requiring grad.")
            lines.append("Outside inference mode, ops on inference tensors alone record nothing (\(name) * \(name) has no graph), and an op that must save it for backward fails; an op that saves nothing of it with a normal tensor that requires grad (\(name) + w) does send a gradient to \(name).grad.")
        } else if t.requiresGrad {
            lines.append("\(made) as a leaf that requires grad: backward() accumulates gradients into \(name).grad.")
            lines.append("Forbidden while grad mode is on: changing it in place (\(name).add_(...), \(name)[i] = v); do that inside no_grad < ... >, as optimizers do.")
        } else if t.isInference {
            lines.append("\(made) while inference mode was on, so it is an inference tensor and autograd did not record it.")
            lines.append("Forbidden later: saving it for backward (x * \(name) fails when x requires grad), changing it in place outside inference mode, and \(name).requires_grad_().")
            lines.append("Fix: \(name).clone() outside inference mode gives a normal tensor; or make it under no_grad instead of inference.")
        } else if t.isGradient {
            lines.append("\(name) is a gradient made by backward(): no graph; later backward passes add into it in place.")
        } else if t.isDetached {
            lines.append("\(made) by detach(): it shares memory and version counter with the original but has no graph, so gradients do not flow through it.")
        } else if t.statementMode.isInferenceEnabled {
            lines.append("\(made) inside inference mode as a view of a normal tensor, so it stays a normal tensor but has no graph.")
        } else if !t.statementMode.isGradEnabled {
            let o = t.site
            let place = o.scopes.last.map { "at line \(o.line) inside `\($0)`" }
                ?? "at line \(o.line) with grad mode off" + (o.gradFlagSetAt.map { " (set_grad_enabled(False) at line \($0))" } ?? "")
            lines.append("\(name) was made \(place), so autograd did not record it: it has no graph.")
            lines.append("Later graphs may use it freely, as a constant: no gradient flows back through it.")
        } else if t.madeFromInferenceOnly {
            lines.append("\(made) only from inference tensors. Autograd does not track inference tensors, even ones that require grad, so nothing was recorded: it has no graph.")
            lines.append("To track it, clone() the inference tensors outside inference mode first (a clone is a normal tensor), or make them under no_grad instead.")
        } else {
            lines.append("\(made) from inputs none of which requires grad, so there was nothing to record: it has no graph.")
            lines.append("To track it, make an input require grad (tensor(..., requires_grad=True) or x.requires_grad_()) before computing it.")
        }
        if let v = t.versionIfTracked, v > 0 {
            lines.append("It has been changed in place \(v) time\(v == 1 ? "" : "s") (_version \(v)).")
        }
        return lines.joined(separator: "\n")
    }
}

/// The `hint:` lines for autograd errors.
enum Hints {
    static func hint(for error: GradError, statement: Stmt, interpreter: Interpreter) -> String? {
        let m = error.message
        let tensors = referencedTensors(statement, interpreter)
        func place(_ name: String, _ t: Tensor) -> String {
            "\(name) was created \(t.site.place)"
        }
        if m.hasPrefix("Inference tensors cannot be saved for backward") || m.hasPrefix("Inplace update to inference tensor")
            || m.hasPrefix("Setting requires_grad=True on inference tensor") {
            if let (name, t) = tensors.first(where: { $0.1.isInference }) {
                return "\(place(name, t)); inference tensors cannot join autograd later. Use no_grad there instead, or \(name).clone() for a normal tensor"
            }
            return "an inference tensor (made inside inference mode) was used here; use no_grad when making it, or clone() it"
        }
        if m.hasPrefix("A view was created in inference mode") {
            return "take the view and change it in the same mode: both inside the inference block, or both outside it"
        }
        if m.hasPrefix("a view of a leaf Variable") || m.hasPrefix("a leaf Variable that requires grad") {
            let leaf = tensors.first { $0.1.gradFnOrRecorded == nil && $0.1.requiresGrad } ?? tensors.first { $0.1.viewBase.map { $0.gradFnOrRecorded == nil && $0.requiresGrad } ?? false }
            let name = leaf?.0 ?? "the tensor"
            let origin = leaf.map { place($0.0, $0.1) + " as a leaf that requires grad; " } ?? ""
            return "\(origin)autograd needs its value for backward. Change it inside no_grad < ... > (as an optimizer step does), or work on \(name).detach() or a clone"
        }
        if m.hasPrefix("one of the variables needed for gradient computation has been modified") {
            if let culprit = staleSavedTensor(tensors, interpreter) {
                return "\(culprit) was changed in place after an operation saved it for backward. Make the change out of place (y = y + 1), or before the operation that saves it"
            }
            return "a tensor saved for backward was changed in place afterwards; use an out-of-place op (y = y + 1) or recompute"
        }
        if m.hasPrefix("Trying to backward through the graph a second time") {
            return "the first backward() freed the saved tensors; pass retain_graph=True to it if you need a second pass, or recompute the forward pass"
        }
        if m.hasPrefix("grad can be implicitly created only for scalar outputs") {
            let name = tensors.first { $0.1.numel > 1 && $0.1.requiresGrad }.map { $0.0 } ?? "the output"
            return "\(name) has more than one element: reduce it first (\(name).sum().backward()), or pass gradient= a tensor of its shape"
        }
        if m.hasPrefix("element ") && m.contains("of tensors does not require grad") {
            guard let (name, t) = tensors.first(where: { !$0.1.requiresGrad }) else {
                return "the tensor has no graph: make an input require grad (requires_grad=True) before computing it"
            }
            let why = GraphLine.describe(t).replacingOccurrences(of: "no graph: ", with: "")
            let made = "; it was made \(t.site.place)"
            if !t.dtype.isFloatingPoint {
                return "\(name) has no graph (\(why)); backward() needs a floating-point result computed from tensors that require grad"
            }
            if t.statementMode.isInferenceEnabled || !t.statementMode.isGradEnabled {
                return "\(name) has no graph (\(why)); compute it outside the block, with grad mode on"
            }
            // Names that lost their graph by being rebound before this tensor was made.
            let madeAt = t.site.line
            let lost = interpreter.lostGradRebindings.filter { $0.key != name && $0.value.line <= madeAt }.sorted { $0.key < $1.key }
            if let (w, r) = lost.first {
                let place = r.blocks.last.map { "at line \(r.line) inside `\($0)`" } ?? "at line \(r.line)"
                return "\(name) has no graph\(made). \(w) was rebound \(place) to a new tensor that does not require grad, so nothing computed from \(w) since has a graph. To update a weight, change it in place inside no_grad (\(w) -= ... or \(w).sub_(...)) instead of rebinding it"
            }
            return "\(name) has no graph (\(why))\(made). Set requires_grad=True on the leaves it is computed from (the weights) before computing it"
        }
        if m.hasPrefix("you can only change requires_grad flags of leaf variables") {
            return "it is the result of an operation; use .detach() for a tensor without graph (it shares this one's memory; .detach().clone() for a copy)"
        }
        if m.lowercased().contains("can require gradients") {
            return "only float tensors can require grad: write the numbers as floats (tensor([1.0, 2.0], requires_grad=True)) or use .float()"
        }
        if m.hasPrefix("Mismatch in shape: grad_output") {
            return "the gradient passed to backward() must have the output's shape"
        }
        if m.hasPrefix("Inference tensors do not track version counter") {
            return "inference tensors have no _version; clone() gives a normal tensor with one"
        }
        return nil
    }

    /// Tensors named in the statement, with their names, in order of appearance.
    static func referencedTensors(_ stmt: Stmt, _ interpreter: Interpreter) -> [(String, Tensor)] {
        var names: [String] = []
        func visit(_ e: Expr) {
            switch e.kind {
            case .name(let n): if !names.contains(n) { names.append(n) }
            case .tuple(let xs), .list(let xs): xs.forEach(visit)
            case .unary(_, let a), .logicalNot(let a): visit(a)
            case .binary(_, let a, let b), .logicalAnd(let a, let b), .logicalOr(let a, let b): visit(a); visit(b)
            case .comparison(let xs, _): xs.forEach(visit)
            case .call(let f, let args): visit(f); args.forEach { visit($0.value) }
            case .attribute(let base, _): visit(base)
            case .subscript(let base, let items):
                visit(base)
                for i in items {
                    switch i {
                    case .expr(let x): visit(x)
                    case .slice(let a, let b, let c): [a, b, c].compactMap { $0 }.forEach(visit)
                    case .ellipsis: break
                    }
                }
            case .conditional(let a, let b, let c): visit(a); visit(b); visit(c)
            case .formatted(let parts): for case .field(let x, _, _) in parts { visit(x) }
            case .dict(let pairs): for (k, v) in pairs { visit(k); visit(v) }
            case .comprehension(let element, let value, _): visit(element); value.map(visit)
            default: break
            }
        }
        func visitTarget(_ t: Target) {
            switch t {
            case .name(let n, _): if !names.contains(n) { names.append(n) }
            case .subscript(let b, _, _), .attribute(let b, _, _): visit(b)
            case .tuple(let ts, _): ts.forEach(visitTarget)
            case .starred(let inner, _): visitTarget(inner)
            }
        }
        func visitStmt(_ s: Stmt) {
            switch s.kind {
            case .expression(let e): visit(e)
            case .assign(let ts, let e): ts.forEach(visitTarget); visit(e)
            case .augmentedAssign(let t, _, let e): visitTarget(t); visit(e)
            case .modeBlock(_, let body): body.forEach(visitStmt)
            case .withValue(let c, _, let body): visit(c); body.forEach(visitStmt)
            case .whileLoop(let c, let body, let orElse): visit(c); (body + orElse).forEach(visitStmt)
            case .forLoop(let t, let e, let body, let orElse): visitTarget(t); visit(e); (body + orElse).forEach(visitStmt)
            case .ifElse(let c, let a, let b): visit(c); a.forEach(visitStmt); b?.forEach(visitStmt)
            case .returnStmt(let e): e.map(visit)
            case .assertStmt(let c, let m): visit(c); m.map(visit)
            case .raise(let e): e.map(visit)
            case .tryStmt(let body, let handlers, let orElse, let finally):
                (body + handlers.flatMap(\.body) + orElse + finally).forEach(visitStmt)
            case .delete(let targets): targets.forEach(visitTarget)
            case .exercise(let exercise): (exercise.solution + exercise.checks).forEach(visitStmt)
            case .exerciseSolution(let body): body.forEach(visitStmt)
            case .functionDef, .classDef, .colonCommand, .breakStmt, .continueStmt, .pass, .importNames, .declare, .exerciseHint: break
            }
        }
        visitStmt(stmt)
        return names.compactMap { n in
            if case .tensor(let t)? = interpreter.globals.value(of: n) { return (n, t) }
            return nil
        }
    }

    /// A saved tensor changed since it was saved, in a graph reachable from the statement's
    /// tensors, described by the variable that holds it.
    static func staleSavedTensor(_ tensors: [(String, Tensor)], _ interpreter: Interpreter) -> String? {
        var seen = Set<ObjectIdentifier>()
        var stack = tensors.compactMap { $0.1.gradFnOrRecorded }
        while let node = stack.popLast() {
            guard seen.insert(ObjectIdentifier(node)).inserted else { continue }
            for (t, version) in node.savedTensorsForDisplay where t.versionIfTracked.map({ $0 != version }) ?? false {
                for (name, v) in interpreter.globals.bindings {
                    if case .tensor(let candidate) = v, candidate.storage === t.storage {
                        let origin = " (made \(candidate.site.place))"
                        return "\(name)\(origin), saved by \(node.name),"
                    }
                }
                return "a tensor saved by \(node.name)"
            }
            for case let e? in node.nextFunctions.map(\.0) { stack.append(e) }
        }
        return nil
    }
}
