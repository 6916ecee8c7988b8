/// Every op the shell offers, by every name it answers to. The entries are the single
/// source of the language's tensor methods and functions, of completion, of `:help` and of
/// the op list in docs/language.md.
package enum OpRegistry {
    package static let all: [Op] = Op.pointwiseOps + Op.tensorOps

    /// Each op under its name and its aliases.
    package static let byName: [String: Op] = {
        var table: [String: Op] = [:]
        for op in all {
            for n in op.names {
                precondition(table[n] == nil, "two ops are named \(n)")
                table[n] = op
            }
        }
        return table
    }()

    /// The entry named `name`, for the core's own shortcuts (`x.exp()`); a missing one is a
    /// programming error caught by the first test that touches it.
    static func require(_ name: String) -> Op {
        guard let op = byName[name] else { preconditionFailure("no op named \(name)") }
        return op
    }

    /// `:help NAME` for an op: its call, what it does, its node and what it saves, and its
    /// other spellings.
    package static func helpText(_ name: String) -> String? {
        if let factory = factoriesByName[name] { return "\(factory.signature): \(factory.help)" }
        let bare = name.hasSuffix("_") ? String(name.dropLast()) : name
        guard let op = byName[name] ?? byName[bare].flatMap({ $0.inPlaceName != nil ? $0 : nil }) else { return nil }
        var lines = ["\(op.signature): \(op.help)"]
        var facts: [String] = []
        if let node = op.node { facts.append("records \(node)" + (op.saves.phrase.map { ", which \($0)" } ?? "")) }
        switch op.dtypeRule {
        case .floatResult: facts.append("integer input gives float32")
        case .boolResult: facts.append("gives a bool tensor")
        case .indexResult: facts.append("gives int64 indices")
        default: break
        }
        if !facts.isEmpty { lines.append("  " + facts.joined(separator: "; ")) }
        let rest = op.parameters.isEmpty ? "" : ", ..."
        var spellings: [String] = []
        if op.forms.contains(.method) { spellings += op.names.map { "x.\($0)(\(rest.isEmpty ? "" : "..."))" } }
        if op.forms.contains(.function) { spellings += op.names.map { "torch.\($0)(x\(rest))" } }
        if let inPlace = op.inPlaceName { spellings.append("x.\(inPlace)(\(rest.isEmpty ? "" : "...")) in place (version + 1)") }
        lines.append("  spellings: " + spellings.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}

extension OpRegistry {
    /// The op list of docs/language.md, in Markdown: one row per op with its call, what it
    /// does, its node and what that saves, and its other spellings.
    package static func markdownReference() -> String {
        var rows = ["| call | what it does | records | also |", "| --- | --- | --- | --- |"]
        for op in all.sorted(by: { $0.name < $1.name }) {
            var also: [String] = op.aliases.map { "`x.\($0)`" }
            if op.forms.contains(.function) { also.append("`torch.\(op.name)(x\(op.parameters.isEmpty ? "" : ", ..."))`") }
            if let inPlace = op.inPlaceName { also.append("`x.\(inPlace)`") }
            let node = op.node.map { "`\($0)`" + (op.saves.phrase.map { ", \($0)" } ?? "") } ?? ""
            let help = op.help.replacingOccurrences(of: "|", with: "\\|")
            rows.append("| `\(op.signature)` | \(help) | \(node) | \(also.joined(separator: " ")) |")
        }
        var text = rows.joined(separator: "\n") + "\n"
        // Factories, functions of several tensors, layers and optimizers: made from
        // arguments alone, each also under torch., nn., F. and optim.
        text += "\n| call | what it does |\n| --- | --- |\n"
        let makers = factories + functions + ModuleRegistry.layers + ModuleRegistry.optimizers
        for f in makers.sorted(by: { $0.name < $1.name }) {
            text += "| `\(f.signature)` | \(f.help.replacingOccurrences(of: "|", with: "\\|")) |\n"
        }
        return text
    }
}
