import Foundation
import GradCore

/// The `--json` events of LANGUAGE.md section 7, one JSON object per line.
package enum JSONEvents {
    /// `variables`: the session's variables, so a displayed tensor's `graph` facts say how
    /// much memory only its graph holds (as the graph line does).
    package static func line(for event: SessionEvent, variables: Scope? = nil) -> String? {
        switch event {
        case .result(let line, let target, let value):
            var text = "{\"line\": \(line), \"target\": \(target.map(string) ?? "null"), \"value\": \(encode(value))"
            if case .tensor(let t) = value { text += ", \"graph\": " + GraphLine.facts(t, variables: variables) }
            return text + "}"
        case .printed(let line, let text):
            return "{\"line\": \(line), \"print\": \(string(text))}"
        case .error(let line, let e):
            return "{\"line\": \(line), \"error\": {\"type\": \(string(e.type)), \"message\": \(string(e.message))}}"
        case .command, .warning:
            return nil
        }
    }

    /// A value as JSON; a list inside itself is encoded as Python shows it (`[...]`), and
    /// nesting past Repr's depth as `...`, so no value makes the encoder recurse forever.
    /// A container whose encoding passes `maxCharacters` is sent as its cut display instead.
    package static func encode(_ v: Value) -> String {
        var open = Set<ObjectIdentifier>()
        var budget = maxCharacters
        if let json = encode(v, depth: 0, open: &open, budget: &budget) { return json }
        return "{\"type\": \"object\", \"repr\": \(string(Repr.shown(v, limit: 10_000)))}"
    }

    static let maxCharacters = 10_000_000

    private static func encode(_ v: Value, depth: Int, open: inout Set<ObjectIdentifier>, budget: inout Int) -> String? {
        if depth >= Repr.maxDepth { return "{\"type\": \"object\", \"repr\": \"...\"}" }
        func items(_ xs: [Value]) -> String? {
            var parts: [String] = []
            for x in xs {
                if case .str(let s) = x, s.utf8.count > budget { return nil }
                guard let part = encode(x, depth: depth + 1, open: &open, budget: &budget) else { return nil }
                budget -= part.utf8.count
                if budget < 0 { return nil }
                parts.append(part)
            }
            return parts.joined(separator: ", ")
        }
        switch v {
        case .none: return "{\"type\": \"none\"}"
        case .bool(let b): return "{\"type\": \"bool\", \"value\": \(b)}"
        case .int(let i): return "{\"type\": \"int\", \"value\": \(i)}"
        case .float(let d): return "{\"type\": \"float\", \"value\": \(number(d))}"
        case .str(let s): return "{\"type\": \"str\", \"value\": \(string(s))}"
        case .tuple(let xs): return items(xs.items).map { "{\"type\": \"tuple\", \"items\": [" + $0 + "]}" }
        case .list(let l):
            let id = ObjectIdentifier(l)
            guard open.insert(id).inserted else { return "{\"type\": \"object\", \"repr\": \"[...]\"}" }
            defer { open.remove(id) }
            return items(l.items).map { "{\"type\": \"list\", \"items\": [" + $0 + "]}" }
        case .tensor(let t): return tensor(t)
        default: return "{\"type\": \"object\", \"repr\": \(string(Repr.shown(v)))}"
        }
    }

    static func tensor(_ t: Tensor) -> String {
        let version = t.versionIfTracked.map(String.init) ?? "null"
        return "{\"type\": \"tensor\", \"dtype\": \"\(t.dtype.name)\", \"shape\": [\(t.shape.map(String.init).joined(separator: ", "))], "
            + "\"data\": \(data(t)), \"requires_grad\": \(t.requiresGrad), \"is_leaf\": \(t.gradFnOrRecorded == nil), "
            + "\"grad_fn\": \(t.isGradFnInvalid ? string("Invalid") : t.gradFnOrRecorded.map { string($0.name) } ?? "null"), \"is_inference\": \(t.isInference), \"version\": \(version)}"
    }

    /// Nested lists of the tensor's values; NaN and infinities as the strings "nan", "inf", "-inf".
    /// `null` for a tensor too large to list (a broadcast view of 10**12 elements).
    static func data(_ t: Tensor) -> String {
        guard let scalars = try? t.scalars() else { return "null" }
        let values = scalars.map { s -> String in
            switch s {
            case .bool(let b): return b ? "true" : "false"
            case .int(let i): return String(i)
            case .float(let d): return number(d)
            }
        }
        if t.rank == 0 { return values[0] }
        var index = 0
        func build(_ dim: Int) -> String {
            if dim == t.rank - 1 {
                let row = values[index..<index + t.shape[dim]]
                index += t.shape[dim]
                return "[" + row.joined(separator: ", ") + "]"
            }
            return "[" + (0..<t.shape[dim]).map { _ in build(dim + 1) }.joined(separator: ", ") + "]"
        }
        return build(0)
    }

    static func number(_ d: Double) -> String {
        if d.isNaN { return "\"nan\"" }
        if d.isInfinite { return d > 0 ? "\"inf\"" : "\"-inf\"" }
        return Repr.pythonFloat(d)
    }

    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
