import GradCore

/// The registry's ops as the language calls them: arguments converted from values by each
/// parameter's kind (with Python's TypeErrors), results turned back into values.
enum OpBindings {
    /// Binds `args` to `op`'s parameters. `name` is the spelling used, for messages.
    static func arguments(_ args: CallArguments, _ params: [OpParameter], name: String) throws -> OpArguments {
        // The common call with nothing after the tensor (`x.sum()`) allocates nothing.
        if args.count == 0, params.first.map({ !$0.isRequired }) ?? true { return OpArguments([]) }
        if params.isEmpty {
            try args.rejectKeywords()
            if args.positional.count > 0 {
                throw GradError.type("\(name)() takes no arguments (\(args.positional.count) given)")
            }
            return OpArguments([])
        }
        if params.count == 1, params[0].kind == .modules {
            try args.rejectKeywords()
            return OpArguments([.modules(try args.positional.map { v in
                guard case .module(let m) = v else { throw GradError.type("\(v.typeName) is not a Module subclass") }
                return m
            })])
        }
        if let first = params.first, first.kind == .shape {
            // Sizes take every positional argument; the other parameters are keywords.
            var values = [OpArgument](repeating: .none, count: params.count)
            for (k, v) in args.keywords {
                guard let i = params.firstIndex(where: { $0.name == k }) else {
                    throw GradError.type("\(name)() got an unexpected keyword argument '\(k)'")
                }
                if i == 0 && !args.positional.isEmpty {
                    throw GradError.type("\(name)() got multiple values for argument '\(k)'")
                }
                values[i] = v.isNone && i > 0 ? .none : try argument(v, params[i])
            }
            if args.positional.count == 1, case .dtype = args.positional[0] {
                throw GradError.runtime("\(name)(dtype) is not supported in gradsh")
            }
            if args.positional.count == 1 {
                values[0] = .ints(try args.positional[0].asShape(first.name))
            } else if !args.positional.isEmpty {
                values[0] = .ints(try args.positional.map { try $0.asInt(first.name) })
            } else if case .none = values[0] {
                // PyTorch's wording for its factories.
                throw GradError.type("\(name)() missing 1 required positional arguments: \"\(first.name)\"")
            }
            return OpArguments(values)
        }
        let required = params.prefix { $0.isRequired }.count
        let bound = try args.bind(params.map(\.name), required: required)
        return OpArguments(try zip(params, bound).map { p, v in
            guard let v else { return .none }
            if v.isNone && !p.isRequired { return .none }
            return try argument(v, p)
        })
    }

    private static func argument(_ v: Value, _ p: OpParameter) throws -> OpArgument {
        switch p.kind {
        case .tensor: return .tensor(try v.asTensor(p.name))
        case .scalar: return try Builtins.scalarArg(v, p.name).map { .scalar($0) } ?? .none
        case .int: return .int(try v.asInt(p.name))
        case .dims:
            switch v {
            case .tuple, .list: return .ints(try v.asShape(p.name))
            default: return .int(try v.asInt(p.name))
            }
        case .bool: return .bool(try v.asBool(p.name))
        case .double: return .double(try v.asDouble(p.name))
        case .dtype: return try Builtins.dtypeArgument(v).map { .dtype($0) } ?? .none
        case .tensorOrDim:
            if case .tensor(let t) = v { return .tensor(t) }
            return .int(try v.asInt(p.name))
        case .tensorOrScalar:
            if case .tensor(let t) = v { return .tensor(t) }
            guard let s = v.scalar else { throw GradError.type("\(p.name) must be a number, not \(v.typeName)") }
            return .scalar(s)
        case .shape: return .ints(try v.asShape(p.name))
        case .modules:
            guard case .module(let m) = v else { throw GradError.type("\(v.typeName) is not a Module subclass") }
            return .modules([m])
        case .tensors:
            if p.name == "params" { return .tensors(try Builtins.parameterList(v)) }
            return .tensors(try v.asSequence(p.name).map { try $0.asTensor(p.name) })
        case .numbers: return .doubles(try v.asSequence(p.name).map { try $0.asDouble(p.name) })
        case .string: return .string(try v.asString(p.name))
        }
    }

    static func value(_ result: OpResult) -> Value {
        switch result {
        case .tensor(let t): return .tensor(t)
        case .tensors(let ts): return .tuple(TupleStorage(ts.map { .tensor($0) }))
        case .bool(let b): return .bool(b)
        case .int(let n): return .int(Int64(n))
        case .ints(let ns): return .tuple(TupleStorage(ns.map { .int(Int64($0)) }))
        case .scalar(let s): return Methods.pythonValue(s)
        case .nothing: return .none
        case .module(let m): return .module(m)
        case .optimizer(let o): return .optimizer(o)
        case .tensorList(let ts): return .list(ListStorage(ts.map { .tensor($0) }))
        case .modules(let ms): return .list(ListStorage(ms.map { .module($0) }))
        case .namedTensors(let pairs): return .list(ListStorage(pairs.map { .tuple([.str($0.0), .tensor($0.1)]) }))
        }
    }

    /// Every method spelling of every op: `x.exp`, `x.clip`, `x.exp_`.
    static func methods() -> [String: Methods.TensorMethod] {
        var table: [String: Methods.TensorMethod] = [:]
        for op in OpRegistry.all where op.forms.contains(.method) {
            // The closures capture only what a call needs, not the whole entry.
            let params = op.parameters
            let call = op.call, callInPlace = op.callInPlace
            for n in op.names {
                table[n] = { t, name, a, _ in value(try call(t, try arguments(a, params, name: name))) }
                if let callInPlace {
                    table[n + "_"] = { t, name, a, _ in .tensor(try callInPlace(t, try arguments(a, params, name: name))) }
                }
            }
        }
        return table
    }

    /// Every function spelling: `exp`, `clip`, `exp_` (callable as `torch.exp(x)` too).
    static var functionNames: [String] {
        OpRegistry.all.filter { $0.forms.contains(.function) }.flatMap { op in
            op.names + (op.inPlaceName != nil ? op.names.map { $0 + "_" } : [])
        }
    }

    /// The keyword-argument names of the op, layer or optimizer spelled `name`, for completion.
    static func parameterNames(_ name: String) -> [String]? {
        let op = OpRegistry.byName[name] ?? (name.hasSuffix("_") ? OpRegistry.byName[String(name.dropLast())] : nil)
        let params = op?.parameters ?? ModuleRegistry.constructorsByName[name]?.parameters ?? OpRegistry.factoriesByName[name]?.parameters
        return params.map { $0.filter { $0.kind != .shape && $0.kind != .modules }.map(\.name) }
    }

    /// The registry's factories as builtins: `zeros(2, 3)`, `Linear(2, 3)`, `SGD(params, lr=0.1)`.
    static func register(_ factories: [Factory], _ add: (String, @escaping Builtins.Body) -> Void) {
        for factory in factories {
            let params = factory.parameters
            add(factory.name) { args, _ in
                value(try factory(try arguments(args, params, name: factory.name)))
            }
        }
    }

    /// `model.name(...)` and `optimizer.name(...)`, from the registry.
    static func callModuleMethod(_ m: Module, _ name: String, _ args: CallArguments) throws -> Value? {
        guard let method = ModuleRegistry.moduleMethodsByName[name] else { return nil }
        return value(try method(m, try arguments(args, method.parameters, name: name)))
    }

    static func callOptimizerMethod(_ o: Optimizer, _ name: String, _ args: CallArguments) throws -> Value? {
        guard let method = ModuleRegistry.optimizerMethodsByName[name] else { return nil }
        return value(try method(o, try arguments(args, method.parameters, name: name)))
    }
}
