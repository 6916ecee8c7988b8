import Foundation
import GradCore

/// The built-in functions of LANGUAGE.md section 5, reachable bare (`zeros`) or under any
/// of the prefixes `torch.`, `nn.`, `F.`, `optim.`, `torch.nn.functional.`, ...
enum Builtins {
    typealias Body = @Sendable (inout CallArguments, Interpreter) throws -> Value

    /// Names that are namespaces rather than functions.
    static let namespaces: Set<String> = ["torch", "nn", "F", "optim", "autograd", "functional", "utils", "data", "init",
                                          "cuda", "backends", "mps", "accelerator", "testing"]

    static func lookup(_ name: String) -> Value? {
        if namespaces.contains(name) { return .namespace(name) }
        // A session is Python's main module: `if __name__ == "__main__":` runs.
        if name == "__name__" { return .str("__main__") }
        // gradsh's block word for a mode names PyTorch's object: `inference` is inference_mode.
        if let kind = GradModeKind(name: name), kind.torchName != name { return lookup(kind.torchName) }
        if let b = table[name] { return .builtin(b) }
        if let d = dtypeNames[name] { return .dtype(d) }
        return nil
    }

    static let dtypeNames: [String: DType] = [
        "float32": .float32, "long": .int64, "int64": .int64,
    ]

    /// `torch.X`: dtypes, sub-namespaces, then builtins (`autograd.grad` before `grad`).
    static func namespaceMember(_ ns: String, _ name: String) throws -> Value {
        if ns == "math" { return try MathModule.member(name) }
        if ["float32", "float", "long", "int64", "bool"].contains(name), ns == "torch" {
            return .dtype(DType(name: name)!)
        }
        if namespaces.contains(name) { return .namespace(name) }
        if let b = table["\(ns).\(name)"] { return .builtin(b) }
        if let b = table[name], !pythonOnly.contains(name) { return .builtin(b) }
        if let d = dtypeNames[name] { return .dtype(d) }
        throw GradError("AttributeError", "module '\(ns == "F" ? "torch.nn.functional" : ns)' has no attribute '\(name)'")
    }

    /// Python builtins that are not part of torch's namespace.
    static let pythonOnly: Set<String> = ["print", "len", "range", "int", "str", "list", "tuple", "round", "enumerate", "zip", "sorted", "repr", "isinstance", "type", "format", "dict"]

    /// Every builtin name, for completion and `:help`.
    static var allNames: [String] { table.keys.filter { !$0.contains(".") }.sorted() }

    static let table: [String: Builtin] = {
        var t: [String: Builtin] = [:]
        func add(_ name: String, _ body: @escaping Body) { t[name] = Builtin(name: name, call: body) }
        registerCreation(add)
        registerMath(add)
        registerNeuralNets(add)
        registerPython(add)
        registerAutograd(add)
        Exceptions.register(add)
        registerClassSupport(add)
        Devices.register(add)
        PrintOptions.register(add)
        Closeness.register(add)
        return t
    }()

    // MARK: helpers

    /// The number of items of `range(start, stop, step)`.
    static func rangeLength(_ start: Int64, _ stop: Int64, _ step: Int64) -> Int64? {
        guard step != 0 else { return nil }
        let (span, o) = step > 0 ? stop.subtractingReportingOverflow(start) : start.subtractingReportingOverflow(stop)
        if o { return .max }
        let s = step > 0 ? step : -step
        return span <= 0 ? 0 : (span - 1) / s + 1
    }

    /// Sizes given as `zeros(2, 3)`, `zeros((2, 3))` or `zeros([2, 3])`.
    static func sizes(_ args: CallArguments, name: String = "size") throws -> [Int] {
        if args.positional.count == 1, case .int = args.positional[0] { return [try args.positional[0].asInt(name)] }
        if args.positional.count == 1 { return try args.positional[0].asShape(name) }
        return try args.positional.map { try $0.asInt(name) }
    }

    static func dtypeArgument(_ v: Value?) throws -> DType? {
        guard let v, !v.isNone else { return nil }
        if case .builtin(let b) = v {
            switch b.name {
            case "float": return .float32
            case "int": return .int64
            case "bool": return .bool
            default: break
            }
        }
        return try v.asDType("dtype")
    }

    static func finish(_ t: Tensor, requiresGrad: Value?) throws -> Value {
        if let r = requiresGrad, try r.asBool("requires_grad") { try t.setRequiresGrad(true, message: .constructor) }
        return .tensor(t)
    }

    /// A tensor from nested lists of numbers (or tensors), with PyTorch's ValueErrors for ragged data.
    static func tensorFromData(_ data: Value, dtype: DType?) throws -> Tensor {
        var scalars: [Scalar] = []
        var shape: [Int]? = nil
        func walk(_ v: Value, depth: Int, path: inout [Int]) throws {
            switch v {
            case .list, .tuple:
                let items = try v.asSequence("data")
                if depth >= 64 { throw GradError.value("the data is nested too deeply") }
                if let s = shape {
                    guard depth < s.count else { throw GradError.type("not a sequence") }
                    if s[depth] != items.count {
                        throw GradError.value("expected sequence of length \(s[depth]) at dim \(depth) (got \(items.count))")
                    }
                } else if depth == path.count {
                    path.append(items.count)
                }
                for item in items { try walk(item, depth: depth + 1, path: &path) }
                if shape == nil && (items.isEmpty || depth == path.count - 1) && isLeafLevel(items) { shape = path }
            case .tensor(let t):
                if shape == nil { shape = path + t.shape }
                let s = shape ?? []
                if depth == s.count {
                    // Where a number goes, a one-element tensor is read as that number, as in PyTorch.
                    guard t.numel == 1 else { throw GradError.value("only one element tensors can be converted to Python scalars") }
                    scalars.append(t.scalar(atRowMajor: 0))
                    return
                }
                guard depth <= s.count, Array(s[depth...]) == t.shape else {
                    throw GradError.value("expected sequence of length \(depth < s.count ? s[depth] : 1) at dim \(depth) (got \(t.shape.first ?? 0))")
                }
                scalars += try t.scalars()
            default:
                guard let s = v.scalar else {
                    throw GradError.type("new(): invalid data type '\(v.typeName)'")
                }
                if shape == nil { shape = path }
                if let sh = shape, sh.count != depth {
                    throw GradError.value("expected sequence of length \(sh[depth]) at dim \(depth) (got 0)")
                }
                scalars.append(s)
            }
        }
        var path: [Int] = []
        try walk(data, depth: 0, path: &path)
        return try Tensor(scalars: scalars, shape: shape ?? path, dtype: dtype)
    }

    private static func isLeafLevel(_ items: [Value]) -> Bool {
        items.allSatisfy { v in
            switch v {
            case .list, .tuple: return false
            default: return true
            }
        }
    }

    static func optionalInt(_ v: Value?, _ what: String) throws -> Int? {
        guard let v, !v.isNone else { return nil }
        return try v.asInt(what)
    }

    static func scalarArg(_ v: Value?, _ what: String) throws -> Scalar? {
        guard let v, !v.isNone else { return nil }
        if case .tensor(let t) = v, t.numel == 1 { return try t.item() }
        guard let s = v.scalar else { throw GradError.type("\(what) must be a number, not \(v.typeName)") }
        return s
    }

    // MARK: creation

    private static func registerCreation(_ add: (String, @escaping Body) -> Void) {
        OpBindings.register(OpRegistry.factories, add)
        add("tensor") { args, _ in
            if args.positional.isEmpty && !args.keywords.contains(where: { $0.0 == "data" }) {
                throw GradError.type("tensor() missing 1 required positional arguments: \"data\"")
            }
            let b = try args.bind(["data", "dtype", "device", "requires_grad"], required: 1)
            return try finish(try tensorFromData(b[0]!, dtype: try dtypeArgument(b[1])), requiresGrad: b[3])
        }
        add("randint") { args, _ in
            let dtype = try dtypeArgument(args.takeKeyword("dtype"))
            var positional = args.positional
            if let size = args.takeKeyword("size") { positional.append(size) }
            if let high = args.takeKeyword("high") { positional.insert(high, at: positional.count == 2 ? 1 : positional.count == 1 ? 0 : positional.count) }
            if let low = args.takeKeyword("low") { positional.insert(low, at: 0) }
            try args.rejectKeywords()
            guard positional.count == 2 || positional.count == 3 else {
                throw GradError.type("randint() takes (low, high, size) or (high, size)")
            }
            let low = positional.count == 3 ? Int64(try positional[0].asInt("low")) : 0
            let high = Int64(try positional[positional.count - 2].asInt("high"))
            let t = try Tensor.randint(low, high, try positional.last!.asShape("size"))
            return .tensor(try t.to(dtype ?? .int64))
        }
        add("make_blobs") { args, _ in
            let b = try args.bind(["n_samples", "centers", "n_features", "seed", "cluster_std"], required: 0)
            let (x, y) = try Datasets.makeBlobs(samples: try b[0]?.asInt("n_samples") ?? 100, centers: try b[1]?.asInt("centers") ?? 3,
                                                features: try b[2]?.asInt("n_features") ?? 2, std: try b[4]?.asDouble("cluster_std") ?? 1,
                                                seed: Int64(try b[3]?.asInt("seed") ?? 0))
            return .tuple([.tensor(x), .tensor(y)])
        }
    }

    // MARK: math on tensors (function forms; the method forms share Methods.callTensorMethod)

    private static func registerMath(_ add: (String, @escaping Body) -> Void) {
        for name in OpBindings.functionNames {
            // `torch.round` is the op even where the bare name is Python's builtin.
            let spellings = pythonOnly.contains(name) ? [name, "torch." + name] : [name]
            for spelling in spellings { add(spelling) { args, interp in
                guard let first = args.positional.first ?? args.keywords.first(where: { $0.0 == "input" })?.1 else {
                    throw GradError.type("\(name)() missing 1 required positional argument: 'input'")
                }
                if args.positional.isEmpty { _ = args.takeKeyword("input") } else { args.positional.removeFirst() }
                guard case .tensor(let t) = first else {
                    throw GradError.type("\(name)(): argument 'input' (position 1) must be Tensor, not \(first.typeName)")
                }
                return try Methods.callTensorMethod(t, name, &args, interp)
            } }
        }
        // F.relu(x, inplace=True) overwrites x, as nn.ReLU(inplace=True) does.
        add("relu") { args, _ in
            let b = try args.bind(["input", "inplace"], required: 1)
            let t = try b[0]!.asTensor("input")
            return .tensor(try b[1]?.asBool("inplace") ?? false ? t.reluInPlace() : t.relu())
        }
        add("abs") { args, interp in
            try args.expectCount(1)
            switch args.positional[0] {
            case .int(let i): return i == .min ? .float(-Double(i)) : .int(Swift.abs(i))
            case .float(let d): return .float(Swift.abs(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .tensor(let t):
                args.positional.removeFirst()
                return try Methods.callTensorMethod(t, "abs", &args, interp)
            default: throw GradError.type("bad operand type for abs(): '\(args.positional[0].typeName)'")
            }
        }
        for name in ["sum", "max", "min"] {
            add(name) { args, interp in
                if name == "sum", let first = args.positional.first, !(first.isTensor) {
                    return try pythonSum(args, interp)
                }
                if name != "sum" && !(args.positional.first?.isTensor ?? false) {
                    return try pythonExtremum(name, args, interp)
                }
                if name != "sum", args.positional.count >= 2, case .tensor(let other) = args.positional[1] {
                    try args.expectCount(2)
                    let a = try args.positional[0].asTensor("input")
                    return .tensor(name == "max" ? try a.maximum(other) : try a.minimum(other))
                }
                guard case .tensor(let t) = args.positional.first else {
                    throw GradError.type("\(name)() missing 1 required positional argument: 'input'")
                }
                args.positional.removeFirst()
                return try Methods.callTensorMethod(t, name, &args, interp)
            }
        }
    }

    private static func pythonSum(_ args: CallArguments, _ interp: Interpreter) throws -> Value {
        let b = try args.bind(["iterable", "start"], required: 1)
        var total = b[1] ?? .int(0)
        try interp.forEachItem(of: b[0]!) { total = try interp.binary("+", total, $0) }
        return total
    }

    private static func pythonExtremum(_ name: String, _ arguments: CallArguments, _ interp: Interpreter) throws -> Value {
        var args = arguments
        // key= picks what is compared; default= answers for an empty iterable.
        let key = args.takeKeyword("key").flatMap { $0.isNone ? nil : $0 }
        let fallback = args.takeKeyword("default")
        try args.rejectKeywords()
        var items: [Value] = []
        if args.positional.count == 1 {
            try interp.forEachItem(of: args.positional[0], collecting: true) { items.append($0) }
            if items.isEmpty {
                if let fallback { return fallback }
                throw GradError.value("\(name)() iterable argument is empty")
            }
        } else if args.positional.isEmpty {
            throw GradError.type("\(name) expected at least 1 argument, got 0")
        } else {
            items = args.positional
        }
        let keys = try key.map { f in try items.map { try interp.call(f, [$0]) } } ?? items
        var best = 0
        for i in keys.indices.dropFirst() {
            let better = try interp.compare(name == "max" ? ">" : "<", keys[i], keys[best])
            if try better.truth() { best = i }
        }
        return items[best]
    }

    // MARK: neural nets, optimizers, data

    private static func registerNeuralNets(_ add: (String, @escaping Body) -> Void) {
        OpBindings.register(ModuleRegistry.layers + ModuleRegistry.optimizers + OpRegistry.functions, add)
        add("TensorDataset") { args, _ in
            try args.rejectKeywords()
            return .dataset(try TensorDataset(try args.positional.map { try $0.asTensor("tensors") }))
        }
        add("DataLoader") { args, _ in
            let b = try args.bind(["dataset", "batch_size", "shuffle", "drop_last"], required: 1)
            if case .instance = b[0]! {
                return .scriptLoader(try ScriptLoader(dataset: b[0]!, batchSize: try optionalInt(b[1], "batch_size") ?? 1,
                                                      shuffle: try b[2]?.asBool("shuffle") ?? false, dropLast: try b[3]?.asBool("drop_last") ?? false))
            }
            guard case .dataset(let d) = b[0]! else { throw GradError.type("DataLoader needs a TensorDataset or a Dataset class's object, not \(b[0]!.typeName)") }
            return .loader(try DataLoader(d, batchSize: try optionalInt(b[1], "batch_size") ?? 1, shuffle: try b[2]?.asBool("shuffle") ?? false,
                                          dropLast: try b[3]?.asBool("drop_last") ?? false))
        }
    }

    static func parameterList(_ v: Value) throws -> [Tensor] {
        switch v {
        case .list, .tuple: return try v.asSequence("params").map { try $0.asTensor("params") }
        case .tensor(let t): return [t]
        default: throw GradError.type("params argument given to the optimizer should be an iterable of Tensors, but got \(v.typeName)")
        }
    }

    // MARK: Python builtins

    private static func registerPython(_ add: (String, @escaping Body) -> Void) {
        add("print") { args, interp in
            let sep = try args.takeKeyword("sep").map { $0.isNone ? " " : try $0.asString("sep") } ?? " "
            let end = try args.takeKeyword("end").map { $0.isNone ? "\n" : try $0.asString("end") } ?? "\n"
            try args.rejectKeywords()
            var text = try args.positional.map { try Repr.str($0) }.joined(separator: sep)
            if end != "\n" { text += end }
            interp.emit(.printed(line: interp.displayLine, text: text))
            return .none
        }
        add("len") { args, interp in
            try args.expectCount(1)
            let v = args.positional[0]
            switch v {
            // Python counts code points (not grapheme clusters).
            case .str(let s): return .int(Int64(s.unicodeScalars.count))
            case .list(let l): return .int(Int64(l.items.count))
            case .dict(let d): return .int(Int64(d.count))
            case .instance(let i):
                guard case .function(let f)? = i.cls.lookup("__len__") else { throw GradError.type("object of type '\(i.cls.name)' has no len()") }
                let n = try interp.callFunction(f, [v], [])
                guard case .int(let count) = n, count >= 0 else { throw GradError.type("'\(n.typeName)' object cannot be interpreted as an integer, or is negative") }
                return n
            case .tuple(let xs): return .int(Int64(xs.count))
            case .tensor(let t):
                guard t.rank > 0 else { throw GradError.type("len() of a 0-d tensor") }
                return .int(Int64(t.shape[0]))
            case .range(let a, let b, let s):
                return .int(rangeLength(a, b, s) ?? 0)
            case .loader(let l): return .int(Int64(l.count))
            case .scriptLoader(let l): return .int(Int64(try interp.batchCount(l)))
            case .dataset(let d): return .int(Int64(d.count))
            case .module(let m as Sequential): return .int(Int64(m.modules.count))
            default: throw GradError.type("object of type '\(v.typeName)' has no len()")
            }
        }
        add("range") { args, _ in
            try args.rejectKeywords()
            let ints = try args.positional.map { v -> Int64 in
                guard case .int(let i) = v.isBool ? Value.int(Int64(try v.asInt("range"))) : v else {
                    throw GradError.type("'\(v.typeName)' object cannot be interpreted as an integer")
                }
                return i
            }
            switch ints.count {
            case 1: return .range(start: 0, stop: ints[0], step: 1)
            case 2: return .range(start: ints[0], stop: ints[1], step: 1)
            case 3:
                if ints[2] == 0 { throw GradError.value("range() arg 3 must not be zero") }
                return .range(start: ints[0], stop: ints[1], step: ints[2])
            default: throw GradError.type("range expected at most 3 arguments, got \(ints.count)")
            }
        }
        add("float") { args, _ in
            if args.positional.isEmpty { return .float(0) }
            try args.expectCount(1)
            switch args.positional[0] {
            case .str(let s):
                guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { throw GradError.value("could not convert string to float: '\(s)'") }
                return .float(d)
            case .tensor(let t):
                guard t.numel == 1 else { throw GradError.value("only one element tensors can be converted to Python scalars") }
                return .float(try t.item().doubleValue)
            case let v:
                guard let s = v.scalar else { throw GradError.type("float() argument must be a string or a real number, not '\(v.typeName)'") }
                return .float(s.doubleValue)
            }
        }
        add("int") { args, _ in
            if args.positional.isEmpty { return .int(0) }
            try args.expectCount(1)
            switch args.positional[0] {
            case .str(let s):
                guard let i = Int64(s.trimmingCharacters(in: .whitespaces)) else { throw GradError.value("invalid literal for int() with base 10: '\(s)'") }
                return .int(i)
            case .float(let d):
                return .int(try integer(d.rounded(.towardZero)))
            case .tensor(let t):
                guard t.numel == 1 else { throw GradError.value("only one element tensors can be converted to Python scalars") }
                let s = try t.item()
                if case .float(let d) = s { return .int(try integer(d.rounded(.towardZero))) }
                return .int(s.int64Value)
            case let v:
                guard let s = v.scalar else { throw GradError.type("int() argument must be a string, a bytes-like object or a real number, not '\(v.typeName)'") }
                return .int(s.int64Value)
            }
        }
        add("bool") { args, _ in
            if args.positional.isEmpty { return .bool(false) }
            try args.expectCount(1)
            return .bool(try args.positional[0].truth())
        }
        add("str") { args, _ in
            if args.positional.isEmpty { return .str("") }
            try args.expectCount(1)
            return .str(try Repr.str(args.positional[0]))
        }
        add("dict") { args, interp in
            guard args.positional.count <= 1 else { throw GradError.type("dict expected at most 1 argument, got \(args.positional.count)") }
            let d = DictStorage()
            if let source = args.positional.first { try Dicts.insertPairs(of: source, into: d, interp) }
            for (k, v) in args.keywords { try d.set(.str(k), v) }
            return .dict(d)
        }
        add("format") { args, _ in
            let b = try args.bind(["value", "format_spec"], required: 1)
            return .str(try FormatSpec.format(b[0]!, try b[1]?.asString("format_spec") ?? ""))
        }
        add("repr") { args, _ in
            try args.expectCount(1)
            return .str(try Repr.repr(args.positional[0]))
        }
        add("list") { args, interp in
            if args.positional.isEmpty { return .list(ListStorage([])) }
            try args.expectCount(1)
            var items: [Value] = []
            try interp.forEachItem(of: args.positional[0], collecting: true) { items.append($0) }
            return .list(ListStorage(items))
        }
        add("tuple") { args, interp in
            if args.positional.isEmpty { return .tuple([]) }
            try args.expectCount(1)
            var items: [Value] = []
            try interp.forEachItem(of: args.positional[0], collecting: true) { items.append($0) }
            return .tuple(TupleStorage(items))
        }
        add("round") { args, _ in
            let b = try args.bind(["number", "ndigits"], required: 1)
            let digits = try optionalInt(b[1], "ndigits")
            switch b[0]! {
            case .int(let i): return .int(i)
            case .tensor:
                // As in PyTorch: torch.round(x) or x.round() rounds a tensor; Python's round does not.
                throw GradError.type("type Tensor doesn't define __round__ method")
            case let v:
                let d = try v.asDouble("round")
                if let digits { return .float(pythonRound(d, digits)) }
                return .int(try integer(pythonRound(d, 0)))
            }
        }
        add("enumerate") { args, interp in
            let b = try args.bind(["iterable", "start"], required: 1)
            var i: Int64? = Int64(try b[1]?.asInt("start") ?? 0)
            var items: [Value] = []
            try interp.forEachItem(of: b[0]!, collecting: true) {
                // A count past Int64's end is an error only when an item needs it.
                guard let count = i else { throw GradError("OverflowError", "integer result does not fit in 64 bits") }
                items.append(.tuple([.int(count), $0]))
                let (next, overflow) = count.addingReportingOverflow(1)
                i = overflow ? nil : next
            }
            return .list(ListStorage(items))
        }
        add("zip") { args, interp in
            try args.rejectKeywords()
            let seqs = try args.positional.map { v -> [Value] in
                var items: [Value] = []
                try interp.forEachItem(of: v, collecting: true) { items.append($0) }
                return items
            }
            let n = seqs.map(\.count).min() ?? 0
            return .list(ListStorage((0..<n).map { i in .tuple(TupleStorage(seqs.map { $0[i] })) }))
        }
        add("sorted") { args, interp in
            let b = try args.bind(["iterable", "key", "reverse"], required: 1)
            var items: [Value] = []
            try interp.forEachItem(of: b[0]!, collecting: true) { items.append($0) }
            // Sorted by key (the items themselves without one), stably, as Python sorts.
            let keyFunction = b[1].flatMap { $0.isNone ? nil : $0 }
            let keys = try keyFunction.map { f in try items.map { try interp.call(f, [$0]) } } ?? items
            let reverse = try b[2]?.asBool("reverse") ?? false
            var failure: Error?
            let order = items.indices.sorted { i, j in
                do {
                    let (a, c) = reverse ? (keys[j], keys[i]) : (keys[i], keys[j])
                    if try interp.compare("<", a, c).truth() { return true }
                    if try interp.compare("<", c, a).truth() { return false }
                    return i < j
                } catch { failure = error; return false }
            }
            if let failure { throw failure }
            return .list(ListStorage(order.map { items[$0] }))
        }
        add("isinstance") { args, _ in
            try args.expectCount(2)
            let object = args.positional[0]
            func matches(_ classInfo: Value) throws -> Bool {
                switch classInfo {
                case .tuple(let items): return try items.contains { try matches($0) }
                case .classObject(let c):
                    switch object {
                    case .instance(let i): return i.cls.isSubclass(of: c)
                    case .module(let m as ScriptModule): return (m.pythonObject as? Instance)?.cls.isSubclass(of: c) ?? false
                    default: return false
                    }
                case .builtin(let b):
                    if b.name == "Module", case .module = object { return true }
                    if b.name == "object" { return true }
                    let name = b.name == "tensor" ? "Tensor" : b.name
                    if Exceptions.parent[name] != nil, case .exception(let e) = object { return Exceptions.isSubclass(e.type, of: name) }
                    return object.typeName == name || (name == "int" && object.isBool)
                default:
                    throw GradError.type("isinstance() arg 2 must be a type, a tuple of types, or a union")
                }
            }
            return .bool(try matches(args.positional[1]))
        }
        add("type") { args, _ in
            try args.expectCount(1)
            let v = args.positional[0]
            let name = v.typeName
            return .opaque(typeName: "type", repr: name == "Tensor" ? "<class 'torch.Tensor'>" : "<class '\(name)'>")
        }
    }

    /// Python's round: half to even, at `digits` decimals.
    /// A whole float as an int, with Python's errors for NaN and infinities and an
    /// OverflowError past 64 bits (where Python would make a bigger int).
    static func integer(_ d: Double) throws -> Int64 {
        if d.isNaN { throw GradError.value("cannot convert float NaN to integer") }
        if d.isInfinite { throw GradError("OverflowError", "cannot convert float infinity to integer") }
        guard let i = Int64(exactly: d) else {
            throw GradError("OverflowError", "\(Repr.pythonFloat(d)) is too large for gradsh's integers (64 bits)")
        }
        return i
    }

    static func pythonRound(_ x: Double, _ digits: Int) -> Double {
        guard x.isFinite else { return x }
        // As Python: past 323 digits every double is already exact; before -308 all is 0.
        if digits > 323 { return x }
        if digits < -308 { return 0.0 * x }
        let factor = Foundation.pow(10.0, Double(digits))
        let scaled = x * factor
        guard scaled.isFinite else { return x }
        let r = scaled.rounded(.toNearestOrEven)
        // Use the decimal representation to decide halves the way Python's correctly rounded round does.
        let text = String(format: "%.\(Swift.max(digits, 0))f", x)
        if digits >= 0, let parsed = Double(text) { return parsed }
        return r / factor
    }

    // MARK: autograd

    private static func registerAutograd(_ add: (String, @escaping Body) -> Void) {
        add("is_grad_enabled") { args, _ in
            try args.expectCount(0)
            return .bool(GradModeState.current.isGradEnabled)
        }
        add("is_inference_mode_enabled") { args, _ in
            try args.expectCount(0)
            return .bool(GradModeState.current.isInferenceEnabled)
        }
        add(GradModeKind.setGradEnabled.torchName) { args, _ in
            let b = try args.bind(["mode"], required: 1)
            let enabled = try b[0]!.asBool("mode")
            let before = GradModeState.current.isGradEnabled
            GradModeState.setGradEnabled(enabled)
            return .gradModeObject(.setGradEnabled(enabled), restoring: before)
        }
        add(GradModeKind.noGrad.torchName) { args, _ in
            try args.expectCount(0)
            return .gradModeObject(.noGrad, restoring: nil)
        }
        add(GradModeKind.enableGrad.torchName) { args, _ in
            try args.expectCount(0)
            return .gradModeObject(.enableGrad, restoring: nil)
        }
        add(GradModeKind.inference.torchName) { args, _ in
            let b = try args.bind(["mode"])
            return .gradModeObject(.inference(try b[0]?.asBool("mode") ?? true), restoring: nil)
        }
        add("autograd.grad") { args, _ in
            let b = try args.bind(["outputs", "inputs", "grad_outputs", "retain_graph", "create_graph", "allow_unused"], required: 2)
            func tensors(_ v: Value) throws -> [Tensor] {
                if case .tensor(let t) = v { return [t] }
                return try v.asSequence("outputs").map { try $0.asTensor("outputs") }
            }
            let gradOutputs: [Tensor?]? = try b[2].flatMap { v in
                if v.isNone { return nil }
                if case .tensor(let t) = v { return [t] }
                return try v.asSequence("grad_outputs").map { $0.isNone ? nil : try $0.asTensor("grad_outputs") }
            }
            let retain = try b[3].flatMap { $0.isNone ? nil : try $0.asBool("retain_graph") }
            let grads = try AutogradEngine.grad(outputs: try tensors(b[0]!), inputs: try tensors(b[1]!), gradOutputs: gradOutputs,
                                                retainGraph: retain, createGraph: try b[4]?.asBool("create_graph") ?? false,
                                                allowUnused: try b[5]?.asBool("allow_unused") ?? false)
            return .tuple(TupleStorage(grads.map { $0.map { .tensor($0) } ?? .none }))
        }
        add("autograd.backward") { args, _ in
            let b = try args.bind(["tensors", "grad_tensors", "retain_graph", "create_graph"], required: 1)
            let roots: [Tensor]
            if case .tensor(let t) = b[0]! { roots = [t] } else {
                roots = try b[0]!.asSequence("tensors").map { try $0.asTensor("tensors") }
            }
            var gradients: [Tensor?] = []
            if let g = b[1], !g.isNone {
                if case .tensor(let t) = g { gradients = [t] } else {
                    gradients = try g.asSequence("grad_tensors").map { $0.isNone ? nil : try $0.asTensor("grad_tensors") }
                }
            }
            try AutogradEngine.backward(roots, gradients: gradients,
                                        retainGraph: try b[2].flatMap { $0.isNone ? nil : try $0.asBool("retain_graph") },
                                        createGraph: try b[3]?.asBool("create_graph") ?? false)
            return .none
        }
    }
}

extension Value {
    var isTensor: Bool { if case .tensor = self { return true } else { return false } }
}
