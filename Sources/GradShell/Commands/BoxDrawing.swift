import GradCore
import GradLang

/// `:draw NAME`: the backward graph as boxes joined by lines, the result on top and the
/// leaves at the bottom, each box with its op or variable, shape, and values and gradient
/// when they are small (as micrograd's `draw_dot` shows them). A node reached along two
/// paths is drawn once, tagged `#n`, and referred to by its tag elsewhere.
struct BoxDrawing {
    let names: GraphDrawing
    /// Wider drawings fall back to the indented tree of `:graph`.
    let width: Int
    /// A graph with more boxes than this is drawn as the tree too.
    static let maxBoxes = 60
    /// Tensors with at most this many elements show their values.
    static let smallElements = 4

    /// A drawn subtree: its lines (all `width` columns) and the column of its top box's centre.
    private struct Block {
        var lines: [String]
        var width: Int
        var anchor: Int
    }

    private var tags: [ObjectIdentifier: Int] = [:]

    init(names: GraphDrawing, width: Int) {
        self.names = names
        self.width = width
    }

    /// The drawing, or nil when the graph is too big or too wide for boxes.
    mutating func draw(_ t: Tensor, name: String) -> String? {
        let header = "\(name) \(Self.shape(t))" + (Self.values(t).map { " = \($0)" } ?? "")
        guard let root = t.gradFnOrRecorded else { return nil }
        // Count parents, to tag nodes reached more than once; give up on big graphs.
        var parents: [ObjectIdentifier: Int] = [:]
        var pending = [root]
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        while let n = pending.popLast() {
            var inputs: Set<ObjectIdentifier> = []
            for case let c? in n.nextFunctions.map(\.0) where inputs.insert(ObjectIdentifier(c)).inserted {
                parents[ObjectIdentifier(c), default: 0] += 1
                if seen.insert(ObjectIdentifier(c)).inserted { pending.append(c) }
            }
            if seen.count > Self.maxBoxes { return nil }
        }
        var next = 1
        var order = [root]
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var i = 0
        while i < order.count {
            for case let c? in order[i].nextFunctions.map(\.0) where visited.insert(ObjectIdentifier(c)).inserted {
                order.append(c)
                if (parents[ObjectIdentifier(c)] ?? 0) > 1 { tags[ObjectIdentifier(c)] = next; next += 1 }
            }
            i += 1
        }
        var drawn: Set<ObjectIdentifier> = []
        let top = box([header] + Array(content(root, tag: "").dropFirst()) + ["grad_fn=\(root.name)"], up: false, down: true)
        var block = stack(top, under: [subtree(root, drawn: &drawn, skipOwnBox: true)])
        guard block.width <= width else { return nil }
        block.lines = block.lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
        return block.lines.joined(separator: "\n")
    }

    /// The node's box with its inputs' subtrees below it (`skipOwnBox`: only the inputs,
    /// for the root, whose box is the result's).
    private func subtree(_ node: Node, drawn: inout Set<ObjectIdentifier>, skipOwnBox: Bool = false) -> Block {
        let id = ObjectIdentifier(node)
        let tag = tags[id].map { " #\($0)" } ?? ""
        if !skipOwnBox && !drawn.insert(id).inserted {
            return box(["see \(node.isAccumulateGrad ? leafName(node) : node.name)\(tag)"], up: true, down: false, dashed: true)
        }
        // Two edges to the same input (x * x) are one line to one box.
        var inputs: [Node] = []
        var uses: [ObjectIdentifier: Int] = [:]
        for case let c? in node.nextFunctions.map(\.0) {
            if uses[ObjectIdentifier(c), default: 0] == 0 { inputs.append(c) }
            uses[ObjectIdentifier(c), default: 0] += 1
        }
        let children = inputs.map { c -> Block in
            var b = subtree(c, drawn: &drawn)
            if let n = uses[ObjectIdentifier(c)], n > 1 { b = label(b, "×\(n)") }
            return b
        }
        if skipOwnBox { return children.count == 1 ? children[0] : row(children, joinedAbove: true) }
        let own = box(content(node, tag: tag), up: true, down: !children.isEmpty)
        return children.isEmpty ? own : stack(own, under: children)
    }

    private func leafName(_ node: Node) -> String {
        guard let leaf = node.variable else { return node.name }
        return names.name(of: leaf) ?? "(unnamed leaf)"
    }

    /// What a box says: a leaf's name, shape, values and gradient; an op's name and what it saved.
    private func content(_ node: Node, tag: String) -> [String] {
        if let leaf = node.variable {
            var lines = ["\(leafName(node)) \(Self.shape(leaf))\(tag)"]
            if let v = Self.values(leaf) { lines.append("data \(v)") }
            if let g = leaf.grad { lines.append("grad " + (Self.values(g) ?? Self.shape(g))) } else { lines.append("grad None") }
            return lines
        }
        var lines = [node.name + tag]
        for scalar in node.savedScalars { lines.append("\(scalar.name) = \(Self.number(scalar.value))") }
        for s in node.savedTensorsForDisplay {
            let now = s.tensor.versionIfTracked
            let stale = now != nil && now != s.version ? " changed since!" : ""
            if let who = names.name(of: s.tensor) {
                lines.append("saved \(who) \(Self.shape(s.tensor))\(stale)")
            } else {
                // A scalar operand (x * 3 saves 3) or a small intermediate: its value says more.
                let value = Self.values(s.tensor).map { " = \($0)" } ?? ""
                lines.append("saved \(Self.shape(s.tensor))\(value)\(stale)")
            }
        }
        return lines
    }

    /// `2`, `-0.5`, `1e-08`: a saved number as short as it reads.
    static func number(_ s: Scalar) -> String {
        switch s {
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return d == d.rounded() && Swift.abs(d) < 1e6 ? String(Int(d)) : String(format: "%.4g", d)
        }
    }

    static func shape(_ t: Tensor) -> String { "[" + t.shape.map(String.init).joined(separator: ", ") + "]" }

    /// `14`, `[1, 2, 3]`: the values of a tensor small enough to read in a box.
    static func values(_ t: Tensor) -> String? {
        guard t.shape.reduce(1, *) <= smallElements, let values = try? t.doubles() else { return nil }
        let shown = values.map { number(.float($0)) }
        return t.shape.isEmpty ? shown.first : "[" + shown.joined(separator: ", ") + "]"
    }

    // MARK: layout

    private func box(_ content: [String], up: Bool, down: Bool, dashed: Bool = false) -> Block {
        let inner = content.map(\.count).max() ?? 0
        let w = inner + 4
        let mid = w / 2
        let h: Character = dashed ? "┄" : "─", v: Character = dashed ? "┆" : "│"
        func border(_ left: Character, _ right: Character, joint: Character?) -> String {
            var chars = [left] + Array(repeating: h, count: w - 2) + [right]
            if let joint { chars[mid] = joint }
            return String(chars)
        }
        var lines = [border("┌", "┐", joint: up ? "┴" : nil)]
        for line in content { lines.append("\(v) " + line + String(repeating: " ", count: inner - line.count) + " \(v)") }
        lines.append(border("└", "┘", joint: down ? "┬" : nil))
        return Block(lines: lines, width: w, anchor: mid)
    }

    /// A short note (`×2`) beside the line into a block's top.
    private func label(_ block: Block, _ note: String) -> Block {
        var b = block
        let pad = String(repeating: " ", count: b.width)
        var line = Array(pad)
        line[b.anchor] = "│"
        for (k, c) in note.enumerated() where b.anchor + 2 + k < line.count { line[b.anchor + 2 + k] = c }
        b.lines.insert(String(line), at: 0)
        return b
    }

    /// Blocks side by side, two columns apart; `joinedAbove` adds the line that joins
    /// their tops to one point above the middle.
    private func row(_ blocks: [Block], joinedAbove: Bool) -> Block {
        let gap = 2
        let height = blocks.map(\.lines.count).max() ?? 0
        var lines = Array(repeating: "", count: height)
        var anchors: [Int] = []
        var x = 0
        for (i, b) in blocks.enumerated() {
            if i > 0 { for r in 0..<height { lines[r] += String(repeating: " ", count: gap) }; x += gap }
            for r in 0..<height { lines[r] += r < b.lines.count ? b.lines[r] : String(repeating: " ", count: b.width) }
            anchors.append(x + b.anchor)
            x += b.width
        }
        let total = x
        guard joinedAbove, blocks.count > 1, let first = anchors.first, let last = anchors.last else {
            return Block(lines: lines, width: total, anchor: anchors.first ?? 0)
        }
        // Over the middle input when there is one, so its line runs straight up.
        let centre = anchors.count % 2 == 1 ? anchors[anchors.count / 2] : (first + last) / 2
        var joint = Array(repeating: Character(" "), count: total)
        for c in first...last { joint[c] = "─" }
        joint[first] = "┌"
        joint[last] = "┐"
        for a in anchors.dropFirst().dropLast() { joint[a] = "┬" }
        joint[centre] = anchors.contains(centre) ? "┼" : "┴"
        return Block(lines: [String(joint)] + lines, width: total, anchor: centre)
    }

    /// `top` centred over its inputs, joined by lines.
    private func stack(_ top: Block, under children: [Block]) -> Block {
        let below = children.count == 1 ? children[0] : row(children, joinedAbove: true)
        let width = Swift.max(top.width, below.width)
        // Line the top's anchor up with the joint below, shifting whichever is narrower.
        var topShift = below.anchor - top.anchor
        var belowShift = 0
        if topShift < 0 { belowShift = -topShift; topShift = 0 }
        let total = Swift.max(width, Swift.max(topShift + top.width, belowShift + below.width))
        func placed(_ line: String, _ shift: Int, _ w: Int) -> String {
            String(repeating: " ", count: shift) + line + String(repeating: " ", count: total - shift - w)
        }
        let lines = top.lines.map { placed($0, topShift, top.width) } + below.lines.map { placed($0, belowShift, below.width) }
        return Block(lines: lines, width: total, anchor: topShift + top.anchor)
    }
}
