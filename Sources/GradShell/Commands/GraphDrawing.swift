import GradCore
import GradLang

/// Draws a tensor's backward graph: as a tree in the terminal (`:graph`) and as Graphviz DOT
/// (`:dot`). Leaves show the variable names bound to them; nodes show what they saved.
struct GraphDrawing {
    /// Variable names for tensors, so leaves read `x` rather than an anonymous box.
    let names: [ObjectIdentifier: String]
    /// Names by memory (storage, offset and shape): a saved result is an alias of the
    /// variable that holds it.
    let namesByMemory: [String: String]
    /// Names by storage alone: a saved transpose of a weight is a view of it.
    let namesByStorage: [ObjectIdentifier: String]
    static let maxLines = 400

    init(bindings: [(name: String, value: Value)]) {
        var names: [ObjectIdentifier: String] = [:]
        var byMemory: [String: String] = [:]
        var byStorage: [ObjectIdentifier: String] = [:]
        func add(_ n: String, _ t: Tensor) {
            if byStorage[ObjectIdentifier(t.storage)] == nil { byStorage[ObjectIdentifier(t.storage)] = n }
            if names[ObjectIdentifier(t)] == nil { names[ObjectIdentifier(t)] = n }
            let key = GraphDrawing.memoryKey(t)
            if byMemory[key] == nil { byMemory[key] = n }
        }
        for (n, v) in bindings {
            if case .tensor(let t) = v { add(n, t) }
        }
        // A model's parameters by their path, as named_parameters() gives it: model.0.weight.
        for (n, v) in bindings {
            if case .module(let m) = v {
                for (path, t) in m.namedParameters(prefix: n + ".") { add(path, t) }
            }
        }
        self.names = names
        namesByMemory = byMemory
        namesByStorage = byStorage
    }

    static func memoryKey(_ t: Tensor) -> String {
        "\(ObjectIdentifier(t.storage).hashValue) \(t.offset) \(t.shape) \(t.strides)"
    }

    func name(of t: Tensor) -> String? {
        names[ObjectIdentifier(t)] ?? namesByMemory[GraphDrawing.memoryKey(t)]
            ?? namesByStorage[ObjectIdentifier(t.storage)].map { "(view of \($0))" }
    }

    private func describe(_ t: Tensor) -> String {
        let shape = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
        let version = t.versionIfTracked.map { " v\($0)" } ?? ""
        return "\(shape)\(version)"
    }

    func label(_ node: Node) -> String {
        if let leaf = node.variable {
            let name = names[ObjectIdentifier(leaf)] ?? "(unnamed leaf)"
            let grad = leaf.grad.map { ", .grad " + "[" + $0.shape.map(String.init).joined(separator: ", ") + "]" } ?? ", .grad None"
            return "AccumulateGrad → \(name) \(describe(leaf))\(grad)"
        }
        let saved = node.savedTensorsForDisplay
        let scalars = node.savedScalars.map { "  \($0.name) = \(BoxDrawing.number($0.value))" }.joined()
        guard !saved.isEmpty else { return node.name + scalars }
        let items = saved.map { s -> String in
            let known = self.name(of: s.tensor)
            let name = known.map { "\($0) " } ?? ""
            let shape = "[" + s.tensor.shape.map(String.init).joined(separator: ", ") + "]"
            // A scalar operand (x * 3 saves 3) is shown by its value.
            let value = known == nil ? BoxDrawing.values(s.tensor).map { " = \($0)" } ?? "" : ""
            let now = s.tensor.versionIfTracked
            let stale = now != nil && now != s.version ? " (now v\(now!): backward will fail)" : ""
            return "\(name)\(shape)\(value) saved at v\(s.version)\(stale)"
        }
        return "\(node.name)  saved: " + items.joined(separator: ", ") + scalars
    }

    /// The tree, iteratively (graphs can be 100,000 nodes deep); a node met again is
    /// shown once and referred to afterwards.
    func tree(of t: Tensor, name: String) -> String {
        guard let root = t.gradFnOrRecorded else {
            return "\(name) \(describe(t)) has no graph: \(GraphLine.describe(t).replacingOccurrences(of: "no graph: ", with: ""))"
        }
        var lines = ["\(name) \(describe(t)) ← \(label(root))"]
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        // Work list of (node, the prefix drawn before its branch, whether it is the last child).
        var work: [(node: Node, prefix: String, isLast: Bool)] = []
        let children = root.nextFunctions.compactMap { $0.0 }
        for (i, c) in children.enumerated().reversed() { work.append((c, "", i == children.count - 1)) }
        var truncated = 0
        while let item = work.popLast() {
            let node = item.node
            if lines.count >= GraphDrawing.maxLines { truncated += 1; continue }
            let branch = item.isLast ? "└─ " : "├─ "
            let id = ObjectIdentifier(node)
            if !seen.insert(id).inserted {
                lines.append(item.prefix + branch + node.name + " (shown above)")
                continue
            }
            lines.append(item.prefix + branch + label(node))
            let childPrefix = item.prefix + (item.isLast ? "   " : "│  ")
            let kids = node.nextFunctions.compactMap { $0.0 }
            for (i, c) in kids.enumerated().reversed() { work.append((c, childPrefix, i == kids.count - 1)) }
        }
        if truncated > 0 { lines.append("… \(truncated) more nodes not shown") }
        return lines.joined(separator: "\n")
    }

    /// Graphviz DOT of the same graph.
    func dot(of t: Tensor, name: String) -> String {
        var lines = ["digraph \"\(escape(name))\" {", "  rankdir=BT;", "  node [fontname=\"Helvetica\", fontsize=11];"]
        lines.append("  result [label=\"\(escape(name)) \(escape(describe(t)))\", shape=box, style=filled, fillcolor=\"#e8f0fe\"];")
        guard let root = t.gradFnOrRecorded else {
            lines.append("}")
            return lines.joined(separator: "\n")
        }
        var ids: [ObjectIdentifier: Int] = [:]
        var order: [Node] = []
        var stack = [root]
        while let n = stack.popLast() {
            let id = ObjectIdentifier(n)
            if ids[id] != nil { continue }
            ids[id] = ids.count
            order.append(n)
            for case let c? in n.nextFunctions.map(\.0) where ids[ObjectIdentifier(c)] == nil { stack.append(c) }
        }
        for n in order {
            let i = ids[ObjectIdentifier(n)]!
            let style = n.isAccumulateGrad ? "shape=box, style=filled, fillcolor=\"#d6f5d6\"" : "shape=ellipse"
            lines.append("  n\(i) [label=\"\(escape(label(n)))\", \(style)];")
        }
        lines.append("  n\(ids[ObjectIdentifier(root)]!) -> result;")
        for n in order {
            let i = ids[ObjectIdentifier(n)]!
            for case let c? in n.nextFunctions.map(\.0) {
                lines.append("  n\(ids[ObjectIdentifier(c)]!) -> n\(i);")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
