import Foundation
import GradCore

/// Operators with Python's rules for numbers, strings and lists, and PyTorch's for tensors.
extension Interpreter {
    func unary(_ op: String, _ v: Value) throws -> Value {
        switch (op, v) {
        case ("-", .int(let i)):
            let (r, o) = Int64(0).subtractingReportingOverflow(i)
            if o { throw overflow() }
            return .int(r)
        case ("-", .float(let d)): return .float(-d)
        case ("-", .bool(let b)): return .int(b ? -1 : 0)
        case ("-", .tensor(let t)): return .tensor(try t.neg())
        case ("+", .int), ("+", .float), ("+", .tensor): return v
        case ("+", .bool(let b)): return .int(b ? 1 : 0)
        case ("~", .int(let i)): return .int(~i)
        case ("~", .bool(let b)): return .int(b ? -2 : -1)
        case ("~", .tensor(let t)):
            guard t.dtype == .bool else { throw GradError.type("bitwise not is only supported for bool tensors in gradsh") }
            return .tensor(try t.logicalNot())
        default:
            throw GradError.type("bad operand type for unary \(op): '\(v.typeName)'")
        }
    }

    private func overflow() -> GradError {
        GradError("OverflowError", "integer result does not fit in 64 bits")
    }

    /// The tensor form of an operand of a tensor operation, or a TypeError naming both types.
    func operandTensor(_ v: Value, op: String, left: Value) throws -> Tensor {
        switch v {
        case .tensor(let t): return t
        case .int(let i): return Tensor.wrapping(.int(i))
        case .float(let d): return Tensor.wrapping(.float(d))
        case .bool(let b): return Tensor.wrapping(.bool(b))
        default: throw GradError.type("unsupported operand type(s) for \(op): '\(left.typeName)' and '\(v.typeName)'")
        }
    }

    func binary(_ op: String, _ l: Value, _ r: Value) throws -> Value {
        if case .tensor(let a) = l { return .tensor(try tensorBinary(op, a, try operandTensor(r, op: op, left: l), scalarLeft: nil)) }
        if case .tensor(let b) = r {
            guard let s = l.scalar else { throw GradError.type("unsupported operand type(s) for \(op): '\(l.typeName)' and 'Tensor'") }
            return .tensor(try tensorBinary(op, Tensor.wrapping(s), b, scalarLeft: s))
        }
        switch (l, r) {
        case (.int, .int), (.int, .bool), (.bool, .int), (.bool, .bool):
            return try intBinary(op, Int64(try l.asInt("operand")), Int64(try r.asInt("operand")), l, r)
        case (.float, _) where r.scalar != nil, (_, .float) where l.scalar != nil:
            return try floatBinary(op, l.scalar!.doubleValue, r.scalar!.doubleValue, l, r)
        case (.str(let a), .str(let b)) where op == "+":
            try checkSize(a.utf8.count + b.utf8.count, bytesPerItem: 1)
            return .str(a + b)
        case (.str(let s), .int(let n)) where op == "*", (.int(let n), .str(let s)) where op == "*":
            // An empty string repeated any number of times is empty (and costs nothing).
            guard n > 0 && !s.isEmpty else { return .str("") }
            let count = Int(try checkedRepeat(n, s.utf8.count, bytesPerItem: 1))
            // Built as bytes: a one-character string repeated 10**8 times takes a copy, not
            // 10**8 appends.
            let unit = Array(s.utf8)
            var bytes = [UInt8]()
            bytes.reserveCapacity(unit.count * count)
            if unit.count == 1 {
                bytes = [UInt8](repeating: unit[0], count: count)
            } else {
                for i in 0..<count {
                    bytes.append(contentsOf: unit)
                    if i & 0xFFFF == 0xFFFF { try Interruption.check() }
                }
            }
            return .str(String(decoding: bytes, as: UTF8.self))
        case (.str, _) where op == "+":
            throw GradError.type("can only concatenate str (not \"\(r.typeName)\") to str")
        case (.str(let s), _) where op == "%":
            return .str(try percentFormat(s, r))
        case (.list(let a), .list(let b)) where op == "+":
            try checkSize(a.items.count + b.items.count)
            return .list(ListStorage(a.items + b.items))
        case (.tuple(let a), .tuple(let b)) where op == "+":
            try checkSize(a.count + b.count)
            return .tuple(TupleStorage(a.items + b.items))
        case (.list(let a), .int(let n)) where op == "*", (.int(let n), .list(let a)) where op == "*":
            if a.items.isEmpty || n <= 0 { return .list(ListStorage([])) }
            _ = try checkedRepeat(n, a.items.count, bytesPerItem: MemoryLayout<Value>.stride)
            return .list(ListStorage(Array(repeating: a.items, count: Int(n)).flatMap { $0 }))
        case (.list, _) where op == "+":
            throw GradError.type("can only concatenate list (not \"\(r.typeName)\") to list")
        default:
            throw GradError.type("unsupported operand type(s) for \(op): '\(l.typeName)' and '\(r.typeName)'")
        }
    }

    /// Refuses repetitions that would build an enormous string or list.
    private func checkedRepeat(_ n: Int64, _ size: Int, bytesPerItem: Int) throws -> Int64 {
        let (total, o) = n.multipliedReportingOverflow(by: Int64(size))
        if o { throw GradError("MemoryError", "the repeated sequence would be too large") }
        try Interpreter.checkSequence(total, bytesPerItem: bytesPerItem)
        return n
    }

    /// Strings and lists longer than this are refused instead of exhausting memory.
    static let maxSequenceLength: Int64 = 100_000_000

    /// Refuses a string (1 byte per item) or list of `n` items that is longer than gradsh
    /// allows or larger than what is left of the session's memory budget.
    static func checkSequence(_ n: Int64, bytesPerItem: Int = MemoryLayout<Value>.stride) throws {
        if n > maxSequenceLength {
            throw GradError("MemoryError", "a string or list of \(n) items is longer than gradsh allows (\(maxSequenceLength))")
        }
        // A TensorError: the expression evaluating this gives it its type and location.
        try MemoryBudget.reserveUntracked(Int(n) * bytesPerItem, "a string or list of \(n) items")
    }

    func checkSize(_ n: Int, bytesPerItem: Int = MemoryLayout<Value>.stride) throws {
        try Interpreter.checkSequence(Int64(n), bytesPerItem: bytesPerItem)
    }

    private func percentFormat(_ format: String, _ arg: Value) throws -> String {
        let args: [Value]
        if case .tuple(let items) = arg { args = items.items } else { args = [arg] }
        var out = ""
        var i = 0
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            var spec = ""
            while let n = chars.first, "0123456789.-+ #".contains(n) { spec.append(n); chars.removeFirst() }
            // Widths and precisions past what a line can show are refused, not padded to gigabytes.
            if spec.split(whereSeparator: { !$0.isNumber }).contains(where: { $0.count > 4 }) {
                throw GradError("MemoryError", "the width or precision in '%\(spec)' is larger than gradsh allows (9999)")
            }
            guard let kind = chars.popFirst() else { throw GradError.value("incomplete format") }
            if kind == "%" { out.append("%"); continue }
            guard i < args.count else { throw GradError.type("not enough arguments for format string") }
            let a = args[i]
            i += 1
            switch kind {
            case "s": out += try Repr.str(a)
            case "r": out += try Repr.repr(a)
            case "d", "i":
                let d = try a.asDouble("%d format")
                if case .int(let v) = a { out += String(format: "%\(spec)lld", v); break }
                guard d.isFinite, d > -9.2e18, d < 9.2e18 else {
                    throw GradError("OverflowError", d.isFinite ? "the number is too large for %d in gradsh (64-bit integers)" : "cannot convert float \(Repr.pythonFloat(d)) to integer")
                }
                out += String(format: "%\(spec)lld", Int64(d))
            case "f", "e", "g", "F", "E", "G": out += String(format: "%\(spec)\(kind)", try a.asDouble("%\(kind) format"))
            case "x", "X", "o":
                let integer: Int64? = if case .bool(let b) = a { b ? 1 : 0 } else { a.intValue }
                guard let v = integer else {
                    throw GradError.type("%\(kind) format: an integer is required, not \(a.typeName)")
                }
                out += Interpreter.radixFormat(v, kind: kind, spec: spec)
            case "c":
                if case .str(let text) = a, text.count == 1 { out += Interpreter.padded(text, spec: spec); break }
                guard let v = a.intValue else { throw GradError.type("%c requires int or char") }
                guard v >= 0, v <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(v)) else {
                    throw GradError("OverflowError", "%c arg not in range(0x110000)")
                }
                out += Interpreter.padded(String(Character(scalar)), spec: spec)
            default: throw GradError.value("unsupported format character '\(kind)'")
            }
        }
        if i < args.count { throw GradError.type("not all arguments converted during string formatting") }
        return out
    }

    /// `%x`, `%X`, `%o` as Python writes them: a minus sign rather than two's complement,
    /// `#` for the `0x`/`0o` prefix, precision as a minimum number of digits.
    static func radixFormat(_ v: Int64, kind: Character, spec: String) -> String {
        var digits = String(v.magnitude, radix: kind == "o" ? 8 : 16, uppercase: kind == "X")
        let parts = spec.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2, let precision = Int(parts[1]), digits.count < precision {
            digits = String(repeating: "0", count: precision - digits.count) + digits
        }
        let sign = v < 0 ? "-" : spec.contains("+") ? "+" : spec.contains(" ") ? " " : ""
        let prefix = spec.contains("#") ? (kind == "o" ? "0o" : kind == "X" ? "0X" : "0x") : ""
        return padded(digits, spec: String(parts[0]), lead: sign + prefix)
    }

    /// `text` after `lead` (a sign and prefix), padded to the spec's width: on the right
    /// with `-`, with zeros between lead and text with `0`, else with spaces on the left.
    static func padded(_ text: String, spec: String, lead: String = "") -> String {
        // %-flags in the format-spec's terms: `-` left-aligns, `0` pads with zeros after the sign.
        let flags = spec.prefix { "-+ #0".contains($0) }
        var p = FormatSpec.Parsed()
        p.width = Int(spec.dropFirst(flags.count).prefix { $0.isNumber }) ?? 0
        if flags.contains("-") { p.align = "<" } else if flags.contains("0") { (p.fill, p.align) = ("0", "=") }
        return FormatSpec.pad(lead, text, p, defaultAlign: ">")
    }

    private func intBinary(_ op: String, _ a: Int64, _ b: Int64, _ l: Value, _ r: Value) throws -> Value {
        func check(_ p: (Int64, Bool)) throws -> Value {
            if p.1 { throw overflow() }
            return .int(p.0)
        }
        switch op {
        case "+": return try check(a.addingReportingOverflow(b))
        case "-": return try check(a.subtractingReportingOverflow(b))
        case "*": return try check(a.multipliedReportingOverflow(by: b))
        case "/":
            if b == 0 { throw GradError.zeroDivision("division by zero") }
            return .float(Double(a) / Double(b))
        case "//", "%":
            if b == 0 { throw GradError.zeroDivision("integer division or modulo by zero") }
            if a == .min && b == -1 {
                if op == "%" { return .int(0) }
                throw overflow()
            }
            var q = a / b, m = a % b
            if m != 0 && ((m < 0) != (b < 0)) { q -= 1; m += b }
            return .int(op == "//" ? q : m)
        case "**":
            if b < 0 { return .float(Foundation.pow(Double(a), Double(b))) }
            var result: Int64 = 1, base = a, e = b
            while e > 0 {
                if e & 1 == 1 { result = try check(result.multipliedReportingOverflow(by: base)).intValue! }
                e >>= 1
                if e > 0 { base = try check(base.multipliedReportingOverflow(by: base)).intValue! }
            }
            return .int(result)
        case "&": return (l.isBool && r.isBool) ? .bool(a & b != 0) : .int(a & b)
        case "|": return (l.isBool && r.isBool) ? .bool(a | b != 0) : .int(a | b)
        case "^": return (l.isBool && r.isBool) ? .bool(a ^ b != 0) : .int(a ^ b)
        default:
            throw GradError.type("unsupported operand type(s) for \(op): '\(l.typeName)' and '\(r.typeName)'")
        }
    }

    private func floatBinary(_ op: String, _ a: Double, _ b: Double, _ l: Value, _ r: Value) throws -> Value {
        switch op {
        case "+": return .float(a + b)
        case "-": return .float(a - b)
        case "*": return .float(a * b)
        case "/":
            if b == 0 { throw GradError.zeroDivision("float division by zero") }
            return .float(a / b)
        case "//":
            if b == 0 { throw GradError.zeroDivision("float floor division by zero") }
            return .float((a / b).rounded(.down))
        case "%":
            if b == 0 { throw GradError.zeroDivision("float modulo") }
            let m = fmod(a, b)
            return .float(m != 0 && ((m < 0) != (b < 0)) ? m + b : m)
        case "**":
            if a == 0 && b < 0 { throw GradError.zeroDivision("0.0 cannot be raised to a negative power") }
            return .float(Foundation.pow(a, b))
        default:
            throw GradError.type("unsupported operand type(s) for \(op): '\(l.typeName)' and '\(r.typeName)'")
        }
    }

    private func tensorBinary(_ op: String, _ a: Tensor, _ b: Tensor, scalarLeft: Scalar?) throws -> Tensor {
        switch op {
        case "+": return scalarLeft != nil ? try b.add(a) : try a.add(b)
        case "-": return try scalarLeft.map { try b.rsub($0) } ?? a.sub(b)
        case "*": return scalarLeft != nil ? try b.mul(a) : try a.mul(b)
        case "/": return try a.div(b)
        case "//": return try a.floorDivide(b)
        case "%": return try a.remainder(b)
        case "**": return try a.pow(b)
        case "@":
            if scalarLeft != nil || b.rank == 0 && a.rank == 0 {
                throw GradError.runtime("both arguments to matmul need to be at least 1D, but they are \(a.rank)D and \(b.rank)D")
            }
            return try a.matmul(b)
        case "&":
            guard a.dtype == .bool && b.dtype == .bool else { throw GradError.type("'&' of tensors is supported for bool tensors (masks)") }
            return try a.logicalAnd(b)
        case "|":
            guard a.dtype == .bool && b.dtype == .bool else { throw GradError.type("'|' of tensors is supported for bool tensors (masks)") }
            return try a.logicalOr(b)
        case "^":
            guard a.dtype == .bool && b.dtype == .bool else { throw GradError.type("'^' of tensors is supported for bool tensors (masks)") }
            return try a.ne(b)
        default:
            throw GradError.type("unsupported operand type(s) for \(op): 'Tensor' and 'Tensor'")
        }
    }

    /// Python's `is`: the same object (None, booleans and small values by value).
    func identical(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.str(let x), .str(let y)): return x == y
        case (.tensor(let x), .tensor(let y)): return x === y
        case (.list(let x), .list(let y)): return x === y
        case (.module(let x), .module(let y)): return x === y
        case (.optimizer(let x), .optimizer(let y)): return x === y
        case (.node(let x), .node(let y)): return x === y
        case (.function(let x), .function(let y)): return x === y
        case (.dtype(let x), .dtype(let y)): return x == y
        default: return false
        }
    }

    func compare(_ op: String, _ l: Value, _ r: Value) throws -> Value {
        if op == "is" { return .bool(identical(l, r)) }
        if op == "is not" { return .bool(!identical(l, r)) }
        if op == "in" || op == "not in" {
            var found = false
            if case .str(let hay) = r, case .str(let needle) = l {
                found = hay.contains(needle)
            } else if case .dict(let d) = r {
                found = try d.contains(l)
            } else if case .range(let start, let stop, let step) = r, case .int(let x) = l {
                // As Python: an int in a range is arithmetic, not a search.
                let inside = step > 0 ? (x >= start && x < stop) : (x <= start && x > stop)
                // The distance from start, exact as an unsigned number even across Int64's range.
                let distance = step > 0 ? UInt64(bitPattern: x &- start) : UInt64(bitPattern: start &- x)
                found = inside && distance % step.magnitude == 0
            } else {
                // The search stops at the first match.
                struct Found: Error {}
                do {
                    try forEachItem(of: r) { item in if try valuesEqual(item, l) { throw Found() } }
                } catch is Found {
                    found = true
                }
            }
            return .bool(op == "in" ? found : !found)
        }
        if case .tensor = l, let b = try? operandTensor(r, op: op, left: l) {
            return .tensor(try tensorCompare(op, try l.asTensor("operand"), b))
        }
        if case .tensor(let b) = r, let s = l.scalar {
            return .tensor(try tensorCompare(op, Tensor.wrapping(s), b))
        }
        if op == "==" { return .bool(try valuesEqual(l, r)) }
        if op == "!=" { return .bool(!(try valuesEqual(l, r))) }
        return .bool(try ordered(op, l, r))
    }

    /// Python's `<`, `<=`, `>`, `>=` for numbers (ints exactly), strings, and lists or
    /// tuples of the same kind (item by item: the first unequal pair decides, else the
    /// shorter one is smaller).
    private func ordered(_ op: String, _ l: Value, _ r: Value) throws -> Bool {
        func compare<T: Comparable>(_ x: T, _ y: T) -> Bool {
            switch op {
            case "<": return x < y
            case "<=": return x <= y
            case ">": return x > y
            default: return x >= y
            }
        }
        switch (l, r) {
        case (.int(let x), .int(let y)): return compare(x, y)
        case (.str(let x), .str(let y)): return compare(x, y)
        case (.tuple(let x), .tuple(let y)): return try orderedItems(op, x.items, y.items)
        case (.list(let x), .list(let y)): return try orderedItems(op, x.items, y.items)
        default:
            if let a = l.scalar, let b = r.scalar { return compare(a.doubleValue, b.doubleValue) }
            throw GradError.type("'\(op)' not supported between instances of '\(l.typeName)' and '\(r.typeName)'")
        }
    }

    private func orderedItems(_ op: String, _ x: [Value], _ y: [Value]) throws -> Bool {
        for (a, b) in zip(x, y) where !(try itemsEqual(a, b)) {
            comparisonDepth += 1
            defer { comparisonDepth -= 1 }
            return try ordered(op, a, b)
        }
        return try ordered(op, .int(Int64(x.count)), .int(Int64(y.count)))
    }

    private func tensorCompare(_ op: String, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        switch op {
        case "<": return try a.lt(b)
        case "<=": return try a.le(b)
        case ">": return try a.gt(b)
        case ">=": return try a.ge(b)
        case "==": return try a.eq(b)
        default: return try a.ne(b)
        }
    }

    /// Python `==` for non-tensor values (identity for objects). Containers compare items
    /// as Python does (`a is b or a == b`), so a list equals itself even when it contains
    /// itself; two different self-containing lists hit Python's recursion error.
    func valuesEqual(_ a: Value, _ b: Value) throws -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case (.str(let x), .str(let y)): return x == y
        case (.tuple(let x), .tuple(let y)):
            return try x.count == y.count && zip(x, y).allSatisfy { try itemsEqual($0, $1) }
        case (.list(let x), .list(let y)):
            if x === y { return true }
            return try x.items.count == y.items.count && zip(x.items, y.items).allSatisfy { try itemsEqual($0, $1) }
        case (.dict(let x), .dict(let y)):
            if x === y { return true }
            guard x.count == y.count else { return false }
            for (k, v) in zip(x.keys, x.values) {
                guard let other = try y.value(for: k), try itemsEqual(v, other) else { return false }
            }
            return true
        case (.tensor(let x), .tensor(let y)): return x === y
        case (.dtype(let x), .dtype(let y)): return x == y
        case (.module(let x), .module(let y)): return x === y
        case (.node(let x), .node(let y)): return x === y
        default:
            if let x = a.scalar, let y = b.scalar { return x.doubleValue == y.doubleValue }
            return false
        }
    }

    private func itemsEqual(_ a: Value, _ b: Value) throws -> Bool {
        if case .list(let x) = a, case .list(let y) = b, x === y { return true }
        comparisonDepth += 1
        defer { comparisonDepth -= 1 }
        if comparisonDepth > 1000 {
            throw GradError("RecursionError", "maximum recursion depth exceeded in comparison")
        }
        return try valuesEqual(a, b)
    }
}

extension Value {
    var isBool: Bool { if case .bool = self { return true } else { return false } }
    var intValue: Int64? { if case .int(let i) = self { return i } else { return nil } }
}
