import GradCore

/// The arguments of a call, taken apart the way Python binds them, with Python's
/// TypeErrors for missing, surplus and unknown arguments.
package struct CallArguments {
    var positional: [Value]
    var keywords: [(String, Value)]
    /// The function's name in messages: `len()`, `tensor()`.
    let function: String

    init(_ positional: [Value], _ keywords: [(String, Value)] = [], function: String) {
        self.positional = positional
        self.keywords = keywords
        self.function = function
    }

    var count: Int { positional.count + keywords.count }

    /// Binds to `names`; the first `required` are mandatory. Unknown keywords are errors.
    func bind(_ names: [String], required: Int = 0) throws -> [Value?] {
        if positional.count > names.count {
            let takes = required == names.count ? "\(names.count)" : "from \(required) to \(names.count)"
            throw GradError.type("\(function)() takes \(takes) positional argument\(names.count == 1 ? "" : "s") but \(positional.count) \(positional.count == 1 ? "was" : "were") given")
        }
        var bound = [Value?](repeating: nil, count: names.count)
        for (i, v) in positional.enumerated() { bound[i] = v }
        for (k, v) in keywords {
            guard let i = names.firstIndex(of: k) else {
                throw GradError.type("\(function)() got an unexpected keyword argument '\(k)'")
            }
            if bound[i] != nil { throw GradError.type("\(function)() got multiple values for argument '\(k)'") }
            bound[i] = v
        }
        let missing = (0..<required).filter { bound[$0] == nil }.map { "'\(names[$0])'" }
        if !missing.isEmpty {
            let list = missing.count == 1 ? missing[0] : missing.dropLast().joined(separator: ", ") + " and " + missing.last!
            throw GradError.type("\(function)() missing \(missing.count) required positional argument\(missing.count == 1 ? "" : "s"): \(list)")
        }
        return bound
    }

    /// Takes a keyword argument out, leaving the rest (for variadic builtins like `zeros(2, 3, dtype=...)`).
    mutating func takeKeyword(_ name: String) -> Value? {
        guard let i = keywords.firstIndex(where: { $0.0 == name }) else { return nil }
        return keywords.remove(at: i).1
    }

    func rejectKeywords() throws {
        if let (k, _) = keywords.first {
            throw GradError.type("\(function)() got an unexpected keyword argument '\(k)'")
        }
    }

    func expectCount(_ n: Int) throws {
        try rejectKeywords()
        if positional.count != n {
            throw GradError.type("\(function)() takes exactly \(n == 1 ? "one argument" : "\(n) arguments") (\(positional.count) given)")
        }
    }
}

// MARK: conversions from values, with Python's error messages

extension Value {
    func asInt(_ what: String) throws -> Int {
        switch self {
        case .int(let i):
            guard let v = Int(exactly: i) else { throw GradError("OverflowError", "\(what) is too large") }
            return v
        case .bool(let b): return b ? 1 : 0
        case .tensor(let t) where t.numel == 1 && t.dtype != .float32: return Int(try t.item().int64Value)
        default: throw GradError.type("\(what) must be an integer, not \(typeName)")
        }
    }

    func asDouble(_ what: String) throws -> Double {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .tensor(let t) where t.numel == 1: return try t.item().doubleValue
        default: throw GradError.type("\(what) must be a number, not \(typeName)")
        }
    }

    func asBool(_ what: String) throws -> Bool {
        switch self {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .none: return false
        case .tensor(let t) where t.numel == 1: return try t.item().boolValue
        default: throw GradError.type("\(what) must be a bool, not \(typeName)")
        }
    }

    func asString(_ what: String) throws -> String {
        guard case .str(let s) = self else { throw GradError.type("\(what) must be a string, not \(typeName)") }
        return s
    }

    /// A Python number as a tensor scalar, or nil when this is not a number.
    var scalar: Scalar? {
        switch self {
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        default: return nil
        }
    }

    func asTensor(_ what: String) throws -> Tensor {
        switch self {
        case .tensor(let t): return t
        case .int, .float, .bool: return Tensor.wrapping(scalar!)
        default: throw GradError.type("\(what) must be Tensor, not \(typeName)")
        }
    }

    /// A shape: `(2, 3)`, `[2, 3]`, `torch.Size`, or a single int.
    func asShape(_ what: String) throws -> [Int] {
        switch self {
        case .tuple(let items): return try items.map { try $0.asInt(what) }
        case .list(let l): return try l.items.map { try $0.asInt(what) }
        case .int, .bool: return [try asInt(what)]
        default: throw GradError.type("\(what) must be tuple of ints, not \(typeName)")
        }
    }

    func asDType(_ what: String) throws -> DType {
        switch self {
        case .dtype(let d): return d
        case .str(let s):
            if let d = DType(name: s) { return d }
            throw GradError.type("\(what): unknown dtype '\(s)'")
        default: throw GradError.type("\(what) must be torch.dtype, not \(typeName)")
        }
    }

    /// The items of a list or tuple.
    func asSequence(_ what: String) throws -> [Value] {
        switch self {
        case .tuple(let items): return items.items
        case .list(let l): return l.items
        default: throw GradError.type("\(what) must be a list or tuple, not \(typeName)")
        }
    }
}
