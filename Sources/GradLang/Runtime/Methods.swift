import Foundation
import GradCore

/// Attributes and methods of tensors, modules, optimizers, lists, strings and grad_fn nodes.
enum Methods {
    static let tensorAttributeNames: Set<String> = [
        "shape", "dtype", "grad", "requires_grad", "is_leaf", "grad_fn", "T", "data", "_version", "ndim", "device", "mT", "_base",
    ]

    /// Every tensor method's name: the registry's spellings and the language's own.
    static let tensorMethodNames = Set(tensorMethods.keys)

    static func call(_ receiver: Receiver, _ name: String, _ args: inout CallArguments, _ interp: Interpreter) throws -> Value {
        switch receiver {
        case .tensor(let t): return try callTensorMethod(t, name, &args, interp)
        case .module(let m): return try callModuleMethod(m, name, &args, interp)
        case .optimizer(let o):
            guard let result = try OpBindings.callOptimizerMethod(o, name, args) else { throw GradError.attribute(o.typeName, name) }
            return result
        case .node(let n):
            // name(): PyTorch's C++ name, qualified for the nodes its autograd defines by hand.
            try args.expectCount(0)
            return .str(["AccumulateGrad", "CopySlices"].contains(n.name) ? "torch::autograd::" + n.name : n.name)
        case .list(let l): return try callListMethod(l, name, &args, interp)
        case .dict(let d): return try callDictMethod(d, name, &args, interp)
        case .str(let s): return try callStringMethod(s, name, &args)
        }
    }

    // MARK: tensor attributes

    static func tensorAttribute(_ t: Tensor, _ name: String) throws -> Value {
        switch name {
        case "shape": return .tuple(TupleStorage(t.shape.map { .int(Int64($0)) }))
        case "dtype": return .dtype(t.dtype)
        case "grad": return t.grad.map { .tensor($0) } ?? .none
        case "requires_grad": return .bool(t.requiresGrad)
        case "is_leaf": return .bool(try t.isLeaf)
        case "grad_fn": return try t.gradFn.map { .node($0) } ?? .none
        case "T": return .tensor(try t.permute(Array((0..<t.rank).reversed())))
        case "mT":
            guard t.rank >= 2 else {
                throw GradError.runtime("tensor.mT is only supported on matrices or batches of matrices. Got \(t.rank)-D tensor.")
            }
            return .tensor(try t.transpose(-2, -1))
        case "_base": return t.viewBase.map { .tensor($0) } ?? .none
        case "data": return .tensor(t.dataAlias())
        case "_version": return .int(Int64(try t.version()))
        case "ndim": return .int(Int64(t.rank))
        case "device": return .opaque(typeName: "device", repr: "device(type='cpu')")
        default:
            if tensorMethodNames.contains(name) { return .boundMethod(receiver: .tensor(t), name: name) }
            throw GradError.attribute("Tensor", name)
        }
    }

    // MARK: tensor methods

    typealias TensorMethod = @Sendable (Tensor, String, CallArguments, Interpreter) throws -> Value

    /// Calls `x.name(args)`. Methods are found by hashing their name: a chain of string
    /// comparisons costs more than the arithmetic of a small tensor op.
    static func callTensorMethod(_ t: Tensor, _ name: String, _ args: inout CallArguments, _ interp: Interpreter) throws -> Value {
        guard let method = tensorMethods[name] else { throw GradError.attribute("Tensor", name) }
        return try method(t, name, args, interp)
    }

    /// The registry's ops, and the methods that only make sense in the language: they
    /// build Python values.
    static let tensorMethods: [String: TensorMethod] = {
        var table = OpBindings.methods()
        table["tolist"] = { t, name, a, interp in
            try a.expectCount(0)
            return try toList(t)
        }
        table["numpy"] = { t, name, a, interp in
            throw GradError.runtime("gradsh has no NumPy; use .tolist() to see the values")
        }
        Devices.addTensorMethods(to: &table)
        Closeness.addTensorMethods(to: &table)
        return table
    }()

    static func pythonValue(_ s: Scalar) -> Value {
        switch s {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        }
    }

    /// `tolist()`: nested Python lists (a plain number for a 0-d tensor), refused past the
    /// longest list gradsh builds or the memory budget (an expanded tensor can have far
    /// more elements than memory).
    static func toList(_ t: Tensor) throws -> Value {
        try Interpreter.checkSequence(Int64(t.numel))
        let values = try t.scalars().map(pythonValue)
        if t.rank == 0 { return values[0] }
        var index = 0
        func build(_ d: Int) -> Value {
            if d == t.rank - 1 {
                let row = Array(values[index..<index + t.shape[d]])
                index += t.shape[d]
                return .list(ListStorage(row))
            }
            return .list(ListStorage((0..<t.shape[d]).map { _ in build(d + 1) }))
        }
        return build(0)
    }

    // MARK: modules

    static func moduleAttribute(_ m: Module, _ name: String) throws -> Value {
        if name == "training" { return .bool(m.training) }
        if let p = m.ownParameters.first(where: { $0.name == name }) { return .tensor(p.tensor) }
        if name == "bias", let l = m as? Linear, l.bias == nil { return .none }
        if ModuleRegistry.moduleMethodsByName[name] != nil || name == "to" || name == "cpu" { return .boundMethod(receiver: .module(m), name: name) }
        switch name {
        case "in_features": if let l = m as? Linear { return .int(Int64(l.inFeatures)) }
        case "out_features": if let l = m as? Linear { return .int(Int64(l.outFeatures)) }
        case "p": if let d = m as? Dropout { return .float(d.p) }
        default: break
        }
        throw GradError.attribute(m.typeName, name)
    }

    static func callModuleMethod(_ m: Module, _ name: String, _ args: inout CallArguments, _ interp: Interpreter) throws -> Value {
        // A model moves to a device as its tensors do: to the CPU it stays where it is.
        if name == "to" || name == "cpu" {
            for v in args.positional { try Devices.check(v) }
            if let d = args.takeKeyword("device") { try Devices.check(d) }
            return .module(m)
        }
        guard let result = try OpBindings.callModuleMethod(m, name, args) else { throw GradError.attribute(m.typeName, name) }
        return result
    }

    // MARK: lists and strings

    /// The methods of lists and strings gradsh has, for attribute lookup and completion.
    static let listMethodNames = ["append", "pop", "extend", "index", "count", "insert", "reverse", "clear", "copy"]
    static let dictMethodNames = ["keys", "values", "items", "get", "pop", "setdefault", "update", "clear", "copy"]

    /// Python's dict methods; `keys()`, `values()` and `items()` give lists (Python's views
    /// iterate the same way).
    static func callDictMethod(_ d: DictStorage, _ name: String, _ args: inout CallArguments, _ interp: Interpreter) throws -> Value {
        switch name {
        case "keys": try args.expectCount(0); return .list(ListStorage(d.keys))
        case "values": try args.expectCount(0); return .list(ListStorage(d.values))
        case "items":
            try args.expectCount(0)
            return .list(ListStorage(zip(d.keys, d.values).map { .tuple([$0, $1]) }))
        case "get":
            let b = try args.bind(["key", "default"], required: 1)
            return try d.value(for: b[0]!) ?? b[1] ?? .none
        case "pop":
            let b = try args.bind(["key", "default"], required: 1)
            if let v = try d.remove(b[0]!) { return v }
            if let fallback = b[1] { return fallback }
            throw GradError("KeyError", try Repr.repr(b[0]!))
        case "setdefault":
            let b = try args.bind(["key", "default"], required: 1)
            if let v = try d.value(for: b[0]!) { return v }
            try d.set(b[0]!, b[1] ?? .none)
            return b[1] ?? .none
        case "update":
            let other = args.positional
            guard other.count <= 1 else { throw GradError.type("update expected at most 1 argument, got \(other.count)") }
            if let source = other.first { try Dicts.insertPairs(of: source, into: d, interp) }
            for (k, v) in args.keywords { try d.set(.str(k), v) }
            return .none
        case "clear": try args.expectCount(0); d.removeAll(); return .none
        case "copy": try args.expectCount(0); return .dict(d.copy())
        default: throw GradError.attribute("dict", name)
        }
    }
    static let stringMethodNames = ["upper", "lower", "strip", "split", "join", "format", "startswith", "endswith", "replace"]

    static func callListMethod(_ l: ListStorage, _ name: String, _ args: inout CallArguments, _ interp: Interpreter) throws -> Value {
        switch name {
        case "append":
            try args.expectCount(1)
            guard l.items.count < 10_000_000 else { throw GradError("MemoryError", "the list is too long") }
            l.willMutate()
            l.items.append(args.positional[0])
            return .none
        case "extend":
            try args.expectCount(1)
            // The items are taken first, so l.extend(l) doubles l as in Python instead of
            // chasing its own growing end.
            var extra: [Value] = []
            try interp.forEachItem(of: args.positional[0], collecting: true) { extra.append($0) }
            try interp.checkSize(l.items.count + extra.count)
            l.willMutate()
            l.items += extra
            return .none
        case "pop":
            let b = try args.bind(["index"])
            guard !l.items.isEmpty else { throw GradError.index("pop from empty list") }
            var i = try b[0]?.asInt("index") ?? l.items.count - 1
            if i < 0 { i += l.items.count }
            guard i >= 0 && i < l.items.count else { throw GradError.index("pop index out of range") }
            l.willMutate()
            return l.items.remove(at: i)
        case "insert":
            try args.expectCount(2)
            var i = try args.positional[0].asInt("index")
            if i < 0 { i = Swift.max(0, i + l.items.count) }
            l.willMutate()
            l.items.insert(args.positional[1], at: Swift.min(i, l.items.count))
            return .none
        case "index", "count":
            try args.expectCount(1)
            var matches: [Int] = []
            for (i, v) in l.items.enumerated() where try interp.valuesEqual(v, args.positional[0]) { matches.append(i) }
            if name == "count" { return .int(Int64(matches.count)) }
            guard let first = matches.first else { throw GradError.value("value is not in list") }
            return .int(Int64(first))
        case "reverse": try args.expectCount(0); l.willMutate(); l.items.reverse(); return .none
        case "clear": try args.expectCount(0); l.willMutate(); l.items.removeAll(); return .none
        case "copy": try args.expectCount(0); return .list(ListStorage(l.items))
        default: throw GradError.attribute("list", name)
        }
    }

    static func callStringMethod(_ s: String, _ name: String, _ args: inout CallArguments) throws -> Value {
        switch name {
        case "upper": try args.expectCount(0); return .str(s.uppercased())
        case "lower": try args.expectCount(0); return .str(s.lowercased())
        case "strip": try args.expectCount(0); return .str(s.trimmingCharacters(in: .whitespacesAndNewlines))
        case "split":
            let b = try args.bind(["sep"])
            if let sep = b[0], !sep.isNone {
                let sepString = try sep.asString("sep")
                guard !sepString.isEmpty else { throw GradError.value("empty separator") }
                return .list(ListStorage(s.components(separatedBy: sepString).map { .str($0) }))
            }
            return .list(ListStorage(s.split(whereSeparator: { $0.isWhitespace }).map { .str(String($0)) }))
        case "join":
            try args.expectCount(1)
            let parts = try args.positional[0].asSequence("join").map { try $0.asString("sequence item") }
            return .str(parts.joined(separator: s))
        case "startswith": try args.expectCount(1); return .bool(s.hasPrefix(try args.positional[0].asString("prefix")))
        case "endswith": try args.expectCount(1); return .bool(s.hasSuffix(try args.positional[0].asString("suffix")))
        case "replace":
            try args.expectCount(2)
            let old = try args.positional[0].asString("old"), new = try args.positional[1].asString("new")
            // The result's size is known before it is built: refuse one past the limit.
            let count = old.isEmpty ? s.count + 1 : s.components(separatedBy: old).count - 1
            let (grow, o1) = count.multipliedReportingOverflow(by: new.utf8.count)
            if o1 { throw GradError("MemoryError", "the replaced string would be too large") }
            try Interpreter.checkSequence(Int64(s.utf8.count) + Int64(grow), bytesPerItem: 1)
            // An empty `old` matches between every two characters and at both ends, as in Python.
            if old.isEmpty { return .str(new + s.map { String($0) + new }.joined()) }
            return .str(s.replacingOccurrences(of: old, with: new))
        case "format":
            return .str(try FormatSpec.formatTemplate(s, positional: args.positional, keywords: args.keywords))
        default:
            throw GradError.attribute("str", name)
        }
    }
}
