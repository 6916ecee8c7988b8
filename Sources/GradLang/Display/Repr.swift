import Foundation
import GradCore

/// How values print: Python's `str`/`repr` for plain values and PyTorch's `repr` for tensors.
package enum Repr {
    /// Python's `str`: refused (MemoryError) past the longest string gradsh builds, a
    /// RecursionError past 1,000 levels of nesting, and interruptible.
    package static func str(_ v: Value) throws -> String {
        if case .str(let s) = v { return s }
        if case .exception(let e) = v { return e.message }
        if case .instance = v, let text = try showObject?(v, true) { return text }
        if case .opaque("device", let repr) = v { return Devices.text(ofRepr: repr) }
        return try repr(v)
    }

    /// Python's `repr`, with the limits of `str`.
    package static func repr(_ v: Value) throws -> String {
        var budget = Budget(characters: Int(Interpreter.maxSequenceLength))
        return try repr(v, &budget, depth: 0)
    }

    /// A result as the shell shows it: never fails; past `limit` characters (or when
    /// interrupted) it is cut, and says so.
    package static func shown(_ v: Value, limit: Int = 1_000_000) -> String {
        var budget = Budget(characters: limit)
        do {
            return try repr(v, &budget, depth: 0)
        } catch let e as GradError where e.type == "RecursionError" {
            return "<\(v.typeName) nested too deeply to show>"
        } catch {
            return budget.partial + " ... (cut: longer than \(limit) characters, or interrupted)"
        }
    }

    /// What a repr may still grow by; a container's items are appended to `partial` so a
    /// cut display can show the beginning.
    struct Budget {
        var characters: Int
        var partial = ""
    }

    /// Calls an object's `__repr__` (or, for `str`, `__str__`), when its class has one: set
    /// by the interpreter, which runs the method. Nil when the class has neither.
    nonisolated(unsafe) static var showObject: ((Value, _ asString: Bool) throws -> String?)?

    /// Lists nested deeper than this (`l = [l]` in a loop) are a RecursionError, as in Python.
    static let maxDepth = 1000

    private static func repr(_ v: Value, _ budget: inout Budget, depth: Int) throws -> String {
        switch v {
        case .instance:
            if let text = try showObject?(v, false) { return text }
            return leaf(v)
        case .tuple(let xs):
            if xs.count == 1 { return "(" + (try items(xs.items, &budget, depth: depth)) + ",)" }
            return "(" + (try items(xs.items, &budget, depth: depth)) + ")"
        case .list(let l):
            return try once(l, else: "[...]") { "[" + (try items(l.items, &budget, depth: depth)) + "]" }
        case .dict(let d):
            return try once(d, else: "{...}") {
                // Keys and values are shown (and counted against the budget) as items are.
                var parts: [String] = []
                for (k, v) in zip(d.keys, d.values) {
                    parts.append(try items([k], &budget, depth: depth) + ": " + (try items([v], &budget, depth: depth)))
                }
                return "{" + parts.joined(separator: ", ") + "}"
            }
        default:
            return leaf(v)
        }
    }

    /// A container that contains itself shows as `[...]` (or `{...}`) where it recurs, as
    /// in Python: `show` runs unless `container` is already being shown.
    private static func once(_ container: AnyObject, else placeholder: String, _ show: () throws -> String) rethrows -> String {
        let id = ObjectIdentifier(container)
        if listsBeingShown.value.contains(id) { return placeholder }
        listsBeingShown.update { _ = $0.insert(id) }
        defer { listsBeingShown.update { _ = $0.remove(id) } }
        return try show()
    }

    /// The items of a container joined by ", ", counted against the budget as they are
    /// made, with a look at the interruption flag every 1,024 items.
    private static func items(_ xs: [Value], _ budget: inout Budget, depth: Int) throws -> String {
        if depth >= maxDepth { throw GradError("RecursionError", "maximum recursion depth exceeded while getting the repr of an object") }
        var out = ""
        for (i, x) in xs.enumerated() {
            if i > 0 { out += ", " }
            // A string longer than what is left is refused before its repr is built.
            if case .str(let long) = x, long.utf8.count > budget.characters {
                if depth == 0 { budget.partial = String((out + "'" + long.prefix(10_000)).prefix(10_000)) }
                throw GradError("MemoryError", "the repr would be longer than gradsh allows (\(Interpreter.maxSequenceLength) characters)")
            }
            let text = try repr(x, &budget, depth: depth + 1)
            // A nested container's items were counted inside it.
            let isContainer: Bool
            switch x { case .list, .tuple, .dict: isContainer = true; default: isContainer = false }
            budget.characters -= (isContainer ? 0 : text.utf8.count) + 2
            if budget.characters < 0 {
                if depth == 0 { budget.partial = String((out + text).prefix(10_000)) }
                throw GradError("MemoryError", "the repr would be longer than gradsh allows (\(Interpreter.maxSequenceLength) characters)")
            }
            out += text
            if i & 1023 == 1023 { try Interruption.check() }
        }
        return out
    }

    /// Values without items.
    private static func leaf(_ v: Value) -> String {
        switch v {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return pythonFloat(d)
        case .str(let s): return quoted(s)
        case .tensor(let t): return TensorRepr.repr(t)
        case .tuple, .list, .dict: return "..."
        case .exception(let e): return "\(e.type)(\(e.message.isEmpty ? "" : quoted(e.message)))"
        case .classObject(let c): return "<class '__main__.\(c.name)'>"
        case .instance(let i): return "<__main__.\(i.cls.name) object>"
        case .boundFunction(let f, let receiver): return "<bound method \(f.owner?.name ?? receiver.typeName).\(f.name) of \(leaf(receiver).split(separator: "\n").first ?? "")>"
        case .superObject(let c, _): return "<super: <class '\(c.name)'>>"
        case .function(let f): return "<function \(f.name)>"
        case .builtin(let b): return "<built-in function \(b.name)>"
        case .boundMethod(let r, let name):
            let owner: String
            switch r {
            case .tensor: owner = "Tensor"
            case .list: owner = "list"
            case .dict: owner = "dict"
            case .module(let m): owner = m.typeName
            case .optimizer(let o): owner = o.typeName
            case .node(let n): owner = n.name
            case .str: owner = "str"
            }
            return "<built-in method \(name) of \(owner) object>"
        case .module(let m): return m.repr
        case .optimizer(let o): return o.repr
        case .dataset: return "<torch.utils.data.dataset.TensorDataset object>"
        case .loader, .scriptLoader: return "<torch.utils.data.dataloader.DataLoader object>"
        case .node(let n): return "<\(n.name) object>"
        case .dtype(let d): return d.torchName
        case .range(let a, let b, let s): return s == 1 ? "range(\(a), \(b))" : "range(\(a), \(b), \(s))"
        case .namespace(let n): return "<module '\(n)'>"
        case .opaque(_, let r): return r
        case .gradModeObject(let change, _): return "<torch.autograd.grad_mode.\(change.kind.torchName) object>"
        }
    }

    /// Lists whose repr is being built, to cut cycles (display runs on one thread).
    /// The lists being shown on this thread, outermost first: a list inside itself is `[...]`.
    private static let listsBeingShown = ThreadLocal { Set<ObjectIdentifier>() }

    static func quoted(_ s: String) -> String {
        // Most strings need no escapes: one pass over the bytes decides.
        if !s.utf8.contains(where: { $0 == 0x27 || $0 == 0x5C || $0 == 0x0A || $0 == 0x09 }) { return "'" + s + "'" }
        let q: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(q)
        for c in s {
            switch c {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case q: out += "\\\(q)"
            default: out.append(c)
            }
        }
        out.append(q)
        return out
    }

    /// Python's `repr(float)`: the shortest digits that round-trip, in positional notation
    /// for exponents from -4 to 15 and scientific otherwise.
    package static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let (negative, digits, exponent) = shortestDigits(d)
        let sign = negative ? "-" : ""
        if exponent < -4 || exponent >= 16 {
            var mantissa = String(digits.first!)
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let e = exponent < 0 ? "-" + pad2(-exponent) : "+" + pad2(exponent)
            return "\(sign)\(mantissa)e\(e)"
        }
        if exponent < 0 {
            return "\(sign)0." + String(repeating: "0", count: -exponent - 1) + digits
        }
        if digits.count <= exponent + 1 {
            return sign + digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0"
        }
        let i = digits.index(digits.startIndex, offsetBy: exponent + 1)
        return sign + digits[..<i] + "." + digits[i...]
    }

    private static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// The shortest round-tripping decimal digits of `d` and the exponent of the first digit.
    static func shortestDigits(_ d: Double) -> (Bool, String, Int) {
        // Swift's description is shortest round-trip; re-read its digits and exponent.
        var s = "\(Swift.abs(d))"
        var exponent = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(s[s.index(after: e)...]) ?? 0
            s = String(s[..<e])
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        let fracPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = intPart + fracPart
        var pointPosition = intPart.count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (d < 0, digits, pointPosition - 1)
    }
}

/// PyTorch's tensor `repr` (`torch/_tensor_str.py`): four-digit precision, integer mode,
/// scientific mode, 80-column wrapping, summarisation past 1,000 elements, and the
/// `requires_grad=True` / `grad_fn=<...>` suffixes.
package enum TensorRepr {
    static var precision: Int { PrintOptions.current.precision }
    static var threshold: Int { PrintOptions.current.threshold }
    static var edgeItems: Int { PrintOptions.current.edgeItems }
    static var lineWidth: Int { PrintOptions.current.lineWidth }

    package static func repr(_ t: Tensor) -> String {
        // nn.Parameter's repr, as PyTorch prints a model's weights.
        if t.isParameter { return "Parameter containing:\n" + tensorRepr(t) }
        return tensorRepr(t)
    }

    private static func tensorRepr(_ t: Tensor) -> String {
        let prefix = "tensor("
        let indent = prefix.count
        var suffixes: [String] = []
        let body: String
        if t.numel == 0 {
            if t.rank != 1 { suffixes.append("size=(" + t.shape.map(String.init).joined(separator: ", ") + (t.rank == 1 ? ",)" : ")")) }
            if t.dtype != .float32 { suffixes.append("dtype=\(t.dtype.torchName)") }
            body = "[]"
        } else {
            body = tensorString(t, indent: indent)
        }
        if t.isGradFnInvalid {
            suffixes.append("grad_fn=<Invalid>")
        } else if let fn = t.gradFnOrRecorded {
            suffixes.append("grad_fn=<\(fn.name)>")
        } else if t.requiresGrad {
            suffixes.append("requires_grad=True")
        }
        return addSuffixes(prefix + body, suffixes, indent: indent)
    }

    /// The bracketed values alone, as `print` shows inside containers too.
    static func tensorString(_ t: Tensor, indent: Int) -> String {
        let summarize = t.numel > threshold
        // At most `threshold` elements are read either way, however large the tensor.
        let formatter = Formatter(summarize ? summarized(t) : (0..<t.numel).map { t.scalar(atRowMajor: $0) }, dtype: t.dtype)
        let strides = Shape.contiguousStrides(t.shape)
        func element(_ flat: Int) -> String { formatter.format(t.scalar(atRowMajor: flat)) }
        func build(_ dim: Int, _ base: Int, _ indent: Int) -> String {
            if t.rank == 0 { return element(0) }
            let n = t.shape[dim]
            var picks: [Int?] = []
            if summarize && n > 2 * edgeItems {
                picks = (0..<edgeItems).map { $0 } + [nil] + ((n - edgeItems)..<n).map { $0 }
            } else {
                picks = (0..<n).map { $0 }
            }
            if dim == t.rank - 1 {
                let width = formatter.maxWidth + 2
                let perLine = Swift.max(1, (lineWidth - indent) / width)
                let items = picks.map { p in p.map { element(base + $0 * strides[dim]) } ?? " ..." }
                var lines: [String] = []
                var i = 0
                while i < items.count {
                    lines.append(items[i..<Swift.min(i + perLine, items.count)].joined(separator: ", "))
                    i += perLine
                }
                return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
            }
            let slices = picks.map { p in p.map { build(dim + 1, base + $0 * strides[dim], indent + 1) } ?? "..." }
            let separator = "," + String(repeating: "\n", count: t.rank - dim - 1) + String(repeating: " ", count: indent + 1)
            return "[" + slices.joined(separator: separator) + "]"
        }
        return build(0, 0, indent)
    }

    /// The values the formatter sees when summarising: only the edges, as PyTorch does,
    /// read one by one so a huge tensor is never copied to be shown.
    private static func summarized(_ t: Tensor) -> [Scalar] {
        guard t.rank > 0 else { return [t.scalar(atRowMajor: 0)] }
        let strides = Shape.contiguousStrides(t.shape)
        var out: [Scalar] = []
        func walk(_ dim: Int, _ base: Int) {
            let n = t.shape[dim]
            let picks = n > 2 * edgeItems ? Array(0..<edgeItems) + Array((n - edgeItems)..<n) : Array(0..<n)
            for p in picks {
                if dim == t.rank - 1 { out.append(t.scalar(atRowMajor: base + p * strides[dim])) } else { walk(dim + 1, base + p * strides[dim]) }
            }
        }
        walk(0, 0)
        return out
    }

    private static func addSuffixes(_ text: String, _ suffixes: [String], indent: Int) -> String {
        var out = text
        let lastNewline = text.lastIndex(of: "\n").map { text.distance(from: text.startIndex, to: $0) } ?? -1
        var lastLineLength = text.count - lastNewline + 1
        for s in suffixes {
            if lastLineLength + s.count + 2 > lineWidth {
                out += ",\n" + String(repeating: " ", count: indent) + s
                lastLineLength = indent + s.count
            } else {
                out += ", " + s
                lastLineLength += s.count + 2
            }
        }
        return out + ")"
    }

    /// PyTorch's `_Formatter`: picks integer, fixed or scientific notation and one width.
    struct Formatter {
        let isFloat: Bool
        var intMode = true
        var sciMode = false
        var maxWidth = 1

        init(_ values: [Scalar], dtype: DType) {
            isFloat = dtype == .float32
            guard isFloat else {
                for v in values { maxWidth = Swift.max(maxWidth, Formatter.plain(v).count) }
                return
            }
            let finite = values.map(\.doubleValue).filter { $0.isFinite && $0 != 0 }
            guard !finite.isEmpty else { return }
            let absolute = finite.map { Swift.abs($0) }
            let lo = absolute.min()!, hi = absolute.max()!
            intMode = finite.allSatisfy { $0 == $0.rounded(.up) }
            // Scientific notation when the values call for it, unless set_printoptions(sci_mode=) says.
            sciMode = PrintOptions.current.sciMode ?? (hi / lo > 1000 || hi > 1e8 || lo < 1e-4)
            for v in finite {
                let shown = sciMode ? Formatter.scientific(v) : intMode ? String(format: "%.0f", v) + "." : String(format: "%.\(TensorRepr.precision)f", v)
                maxWidth = Swift.max(maxWidth, shown.count)
            }
        }

        static func plain(_ v: Scalar) -> String {
            switch v {
            case .bool(let b): return b ? "True" : "False"
            case .int(let i): return String(i)
            case .float(let d): return Repr.pythonFloat(d)
            }
        }

        static func scientific(_ v: Double) -> String {
            if v.isNaN { return "nan" }
            if v.isInfinite { return v > 0 ? "inf" : "-inf" }
            return String(format: "%.\(TensorRepr.precision)e", v)
        }

        func format(_ v: Scalar) -> String {
            var s: String
            if isFloat {
                let d = v.doubleValue
                if sciMode {
                    s = Formatter.scientific(d)
                } else if intMode {
                    s = d.isNaN ? "nan" : d.isInfinite ? (d > 0 ? "inf" : "-inf") : String(format: "%.0f", d) + "."
                } else {
                    s = d.isNaN ? "nan" : d.isInfinite ? (d > 0 ? "inf" : "-inf") : String(format: "%.\(TensorRepr.precision)f", d)
                }
            } else {
                s = Formatter.plain(v)
            }
            if s.count < maxWidth { s = String(repeating: " ", count: maxWidth - s.count) + s }
            return s
        }
    }
}
