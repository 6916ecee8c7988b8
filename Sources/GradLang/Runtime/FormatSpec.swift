import Foundation

/// Python's format-spec mini-language, for f-strings (`f"{loss:.4f}"`), `format()` and
/// `str.format`: `[[fill]align][sign][#][0][width][,|_][.precision][type]`. A 0-d tensor
/// formats as its number, as PyTorch's `Tensor.__format__` does.
enum FormatSpec {
    struct Parsed {
        var fill: Character = " "
        var align: Character?
        var sign: Character = "-"
        var alternate = false
        var width = 0
        var grouping: Character?
        var precision: Int?
        var type: Character?
    }

    /// The widest field gradsh pads to: wider is a mistake, not a layout.
    static let maxWidth = 10_000

    static func parse(_ spec: String) throws -> Parsed {
        var p = Parsed()
        var chars = Array(spec)[...]
        func invalid() -> GradError { GradError.value("Invalid format specifier '\(spec)'") }
        if chars.count >= 2, "<>=^".contains(chars[chars.startIndex + 1]) {
            p.fill = chars.removeFirst()
            p.align = chars.removeFirst()
        } else if let c = chars.first, "<>=^".contains(c) {
            p.align = chars.removeFirst()
        }
        if let c = chars.first, "+- ".contains(c) { p.sign = chars.removeFirst() }
        if chars.first == "#" { p.alternate = true; chars.removeFirst() }
        if chars.first == "0" {
            chars.removeFirst()
            if p.align == nil { p.fill = "0"; p.align = "=" }
        }
        var digits = ""
        while let c = chars.first, c.isASCII, c.isNumber { digits.append(chars.removeFirst()) }
        if !digits.isEmpty {
            guard digits.count <= 5, let w = Int(digits), w <= maxWidth else {
                throw GradError("MemoryError", "the width in '\(spec)' is larger than gradsh allows (\(maxWidth))")
            }
            p.width = w
        }
        if let c = chars.first, c == "," || c == "_" { p.grouping = chars.removeFirst() }
        if chars.first == "." {
            chars.removeFirst()
            var precision = ""
            while let c = chars.first, c.isASCII, c.isNumber { precision.append(chars.removeFirst()) }
            guard !precision.isEmpty else { throw GradError.value("Format specifier missing precision") }
            guard precision.count <= 4, let n = Int(precision) else {
                throw GradError("MemoryError", "the precision in '\(spec)' is larger than gradsh allows (9999)")
            }
            p.precision = n
        }
        if !chars.isEmpty { p.type = chars.removeFirst() }
        guard chars.isEmpty else { throw invalid() }
        return p
    }

    /// `format(value, spec)`.
    static func format(_ value: Value, _ spec: String) throws -> String {
        // Tensor.__format__: a 0-dim tensor formats as its number, even with no spec.
        if case .tensor(let t) = value, t.rank == 0 { return try format(Methods.pythonValue(try t.item()), spec) }
        if spec.isEmpty { return try Repr.str(value) }
        let p = try parse(spec)
        switch value {
        case .str(let s): return try text(s, p, typeName: "str")
        case .int(let i): return try integer(i, p, typeName: "int")
        case .bool(let b): return try integer(b ? 1 : 0, p, typeName: "bool")
        case .float(let d): return try real(d, p, typeName: "float")
        default:
            throw GradError.type("unsupported format string passed to \(value.typeName).__format__")
        }
    }

    /// `template.format(*positional, **keywords)`: `{}` in turn, `{0}` by position,
    /// `{name}` by keyword, each with `!r`/`!s` and a spec; `{{` and `}}` are braces.
    static func formatTemplate(_ template: String, positional: [Value], keywords: [(String, Value)]) throws -> String {
        var out = ""
        var chars = Array(template)[...]
        var next = 0
        var numbered: Bool? = nil
        while let c = chars.popFirst() {
            if c == "}" {
                guard chars.first == "}" else { throw GradError.value("Single '}' encountered in format string") }
                chars.removeFirst()
                out.append("}")
                continue
            }
            guard c == "{" else { out.append(c); continue }
            if chars.first == "{" { chars.removeFirst(); out.append("{"); continue }
            var field = ""
            while let f = chars.first, f != "}" { field.append(chars.removeFirst()) }
            guard chars.popFirst() == "}" else { throw GradError.value("expected '}' before end of string") }
            var spec = ""
            if let colon = field.firstIndex(of: ":") {
                spec = String(field[field.index(after: colon)...])
                field = String(field[..<colon])
            }
            var conversion: Character? = nil
            if let bang = field.firstIndex(of: "!") {
                let rest = field[field.index(after: bang)...]
                guard rest.count == 1, let k = rest.first, "rsa".contains(k) else {
                    throw GradError.value("Unknown conversion specifier \(rest)")
                }
                conversion = k
                field = String(field[..<bang])
            }
            var value: Value
            if field.isEmpty {
                if numbered == true { throw GradError.value("cannot switch from manual field specification to automatic field numbering") }
                numbered = false
                guard next < positional.count else { throw GradError.index("Replacement index \(next) out of range for positional args tuple") }
                value = positional[next]
                next += 1
            } else if let i = Int(field) {
                if numbered == false { throw GradError.value("cannot switch from automatic field numbering to manual field specification") }
                numbered = true
                guard i >= 0, i < positional.count else { throw GradError.index("Replacement index \(i) out of range for positional args tuple") }
                value = positional[i]
            } else if let v = keywords.first(where: { $0.0 == field })?.1 {
                value = v
            } else if field.contains(".") || field.contains("[") {
                throw GradError.value("gradsh's format() takes positions and names, not attributes or items ('{\(field)}')")
            } else {
                throw GradError("KeyError", "'\(field)'")
            }
            if conversion == "r" || conversion == "a" { value = .str(try Repr.repr(value)) }
            if conversion == "s" { value = .str(try Repr.str(value)) }
            out += try format(value, spec)
            try Interpreter.checkSequence(Int64(out.utf8.count), bytesPerItem: 1)
        }
        return out
    }

    private static func unknownCode(_ code: Character, _ typeName: String) -> GradError {
        GradError.value("Unknown format code '\(code)' for object of type '\(typeName)'")
    }

    private static func text(_ s: String, _ p: Parsed, typeName: String) throws -> String {
        if let t = p.type, t != "s" { throw unknownCode(t, typeName) }
        if p.align == "=" { throw GradError.value("'=' alignment not allowed in string format specifier") }
        if p.sign != "-" { throw GradError.value("Sign not allowed in string format specifier") }
        let shown = p.precision.map { String(s.prefix($0)) } ?? s
        return pad("", shown, p, defaultAlign: "<")
    }

    private static func integer(_ v: Int64, _ p: Parsed, typeName: String) throws -> String {
        let type = p.type ?? "d"
        if "eEfFgG%".contains(type) { return try real(Double(v), p, typeName: typeName) }
        if p.precision != nil { throw GradError.value("Precision not allowed in integer format specifier") }
        var digits: String
        var prefix = ""
        switch type {
        case "d", "n": digits = String(v.magnitude)
        case "b": digits = String(v.magnitude, radix: 2); prefix = "0b"
        case "o": digits = String(v.magnitude, radix: 8); prefix = "0o"
        case "x": digits = String(v.magnitude, radix: 16); prefix = "0x"
        case "X": digits = String(v.magnitude, radix: 16, uppercase: true); prefix = "0X"
        case "c":
            guard v >= 0, v <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(v)) else {
                throw GradError("OverflowError", "%c arg not in range(0x110000)")
            }
            return pad("", String(Character(scalar)), p, defaultAlign: "<")
        default: throw unknownCode(type, typeName)
        }
        if let g = p.grouping { digits = grouped(digits, by: g, every: type == "d" || type == "n" ? 3 : 4) }
        return pad(signText(negative: v < 0, p) + (p.alternate ? prefix : ""), digits, p, defaultAlign: ">")
    }

    private static func real(_ v: Double, _ p: Parsed, typeName: String) throws -> String {
        let type = p.type
        if let type, !"eEfFgGn%".contains(type) { throw unknownCode(type, typeName) }
        let magnitude = Swift.abs(v)
        var body: String
        if !v.isFinite {
            body = v.isNaN ? "nan" : "inf"
            if let type, "EFG".contains(type) { body = body.uppercased() }
            if type == "%" { body += "%" }
        } else {
            let precision = p.precision ?? 6
            let hash = p.alternate ? "#" : ""
            switch type {
            case "f", "F": body = String(format: "%\(hash).\(precision)f", magnitude)
            case "e", "E": body = String(format: "%\(hash).\(precision)\(type!)", magnitude)
            case "g", "G", "n": body = String(format: "%\(hash).\(Swift.max(precision, 1))\(type == "G" ? "G" : "g")", magnitude)
            case "%": body = String(format: "%\(hash).\(precision)f", magnitude * 100) + "%"
            default:
                // No type: repr without a precision; with one, 'g' that keeps a '.0'.
                if let precision = p.precision {
                    body = String(format: "%.\(Swift.max(precision, 1))g", magnitude)
                    if !body.contains(".") && !body.contains("e") { body += ".0" }
                } else {
                    body = Repr.pythonFloat(magnitude)
                }
            }
            if let g = p.grouping {
                let end = body.firstIndex { !$0.isNumber } ?? body.endIndex
                body = grouped(String(body[..<end]), by: g, every: 3) + body[end...]
            }
        }
        return pad(signText(negative: v.sign == .minus && !v.isNaN, p), body, p, defaultAlign: ">")
    }

    private static func signText(negative: Bool, _ p: Parsed) -> String {
        if negative { return "-" }
        return p.sign == "+" ? "+" : p.sign == " " ? " " : ""
    }

    /// `1234567` as `1,234,567` (or in fours with `_` for binary, octal and hex).
    private static func grouped(_ digits: String, by separator: Character, every n: Int) -> String {
        var out: [Character] = []
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % n == 0 { out.append(separator) }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// `lead` (sign and prefix) and `body` padded to the width as the alignment says.
    static func pad(_ lead: String, _ body: String, _ p: Parsed, defaultAlign: Character) -> String {
        let fill = Swift.max(0, p.width - lead.count - body.count)
        let padding = { (n: Int) in String(repeating: p.fill, count: n) }
        switch p.align ?? defaultAlign {
        case "<": return lead + body + padding(fill)
        case "^": return padding(fill / 2) + lead + body + padding(fill - fill / 2)
        case "=": return lead + padding(fill) + body
        default: return padding(fill) + lead + body
        }
    }
}
