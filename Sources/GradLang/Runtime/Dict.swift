import GradCore

/// A Python dict: insertion-ordered, keyed by hashable values with Python's equalities
/// (`1`, `1.0` and `True` are one key; tensors, modules and functions are keys by
/// identity, as their `__hash__` is `id`). Shared by every name bound to it.
package final class DictStorage {
    package private(set) var keys: [Value] = []
    package private(set) var values: [Value] = []
    private var index: [HashKey: Int] = [:]

    package init() {}

    package var count: Int { keys.count }

    deinit {
        // Nested containers are freed without recursion, as lists and tuples are.
        NestedValues.free(&values)
        NestedValues.free(&keys)
    }

    package func value(for key: Value) throws -> Value? {
        try index[HashKey(key)].map { values[$0] }
    }

    func contains(_ key: Value) throws -> Bool { index[try HashKey(key)] != nil }

    func set(_ key: Value, _ value: Value) throws {
        let h = try HashKey(key)
        willMutate()
        if let i = index[h] {
            values[i] = value
        } else {
            index[h] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    /// Removes `key` and returns its value, or nil when it is not there.
    func remove(_ key: Value) throws -> Value? {
        guard let i = index[try HashKey(key)] else { return nil }
        willMutate()
        let v = values.remove(at: i)
        keys.remove(at: i)
        reindex()
        return v
    }

    func removeAll() {
        willMutate()
        (keys, values, index) = ([], [], [:])
    }

    private func reindex() {
        index = [:]
        for (i, k) in keys.enumerated() { if let h = try? HashKey(k) { index[h] = i } }
    }

    /// Called before every change, so a failed statement can put the dict back.
    private func willMutate() {
        guard StatementJournal.isActive else { return }
        let before = (keys, values, index)
        StatementJournal.willChange(self) { (self.keys, self.values, self.index) = before }
    }

    /// Hands nested containers to the iterative freeing, emptying this dict.
    func detach(into pending: inout [AnyObject]) {
        for v in keys + values {
            switch v {
            case .list(let l): pending.append(l)
            case .tuple(let t): pending.append(t)
            case .dict(let d): pending.append(d)
            default: break
            }
        }
        (keys, values, index) = ([], [], [:])
    }

    /// A dict of the same items.
    func copy() -> DictStorage {
        let d = DictStorage()
        (d.keys, d.values, d.index) = (keys, values, index)
        return d
    }
}

/// What Python hashes a dict key by.
package indirect enum HashKey: Hashable {
    case none
    case int(Int64)
    case float(UInt64)
    case str(String)
    case tuple([HashKey])
    case object(ObjectIdentifier)

    init(_ v: Value, depth: Int = 0) throws {
        // Keys nested deeper than this are refused rather than hashed by deep recursion.
        if depth > 1000 { throw GradError("RecursionError", "maximum recursion depth exceeded while hashing a key") }
        switch v {
        case .none: self = .none
        case .bool(let b): self = .int(b ? 1 : 0)
        case .int(let i): self = .int(i)
        case .float(let d):
            // A float equal to an int is the same key as the int, as in Python.
            if d == d.rounded(), d >= -9.2e18, d <= 9.2e18 { self = .int(Int64(d)) } else { self = .float(d.bitPattern) }
        case .str(let s): self = .str(s)
        case .tuple(let items): self = .tuple(try items.map { try HashKey($0, depth: depth + 1) })
        case .range(let a, let b, let c): self = .tuple([.int(a), .int(b), .int(c)])
        case .tensor(let t): self = .object(ObjectIdentifier(t))
        case .module(let m): self = .object(ObjectIdentifier(m))
        case .optimizer(let o): self = .object(ObjectIdentifier(o))
        case .function(let f): self = .object(ObjectIdentifier(f))
        case .node(let n): self = .object(ObjectIdentifier(n))
        case .dtype(let d): self = .str("torch." + d.name)
        case .namespace(let n): self = .str("<module " + n + ">")
        case .builtin(let b): self = .str("<built-in " + b.name + ">")
        default: throw GradError.type("unhashable type: '\(v.typeName)'")
        }
    }
}

/// Building dicts from values: `dict(...)`, `d.update(...)`.
enum Dicts {
    /// The pairs of a dict, or of an iterable of two-item sequences, into `d`.
    static func insertPairs(of source: Value, into d: DictStorage, _ interp: Interpreter) throws {
        if case .dict(let other) = source {
            for (k, v) in zip(other.keys, other.values) { try d.set(k, v) }
            return
        }
        var n = 0
        try interp.forEachItem(of: source) { item in
            let pair = try item.asSequence("dictionary update sequence element")
            guard pair.count == 2 else {
                throw GradError.value("dictionary update sequence element #\(n) has length \(pair.count); 2 is required")
            }
            try d.set(pair[0], pair[1])
            n += 1
        }
    }
}
