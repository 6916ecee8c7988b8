import GradCore

/// A class defined in the session. What it derives from decides what its instances are:
/// plain objects, or modules (`nn.Module` subclasses, whose sub-modules and parameters
/// register themselves as attributes are assigned).
package final class ClassValue {
    package enum Kind {
        case plain
        case module
        /// `torch.autograd.Function`: used through `apply`, never instantiated.
        case autogradFunction
    }

    package let name: String
    let bases: [ClassValue]
    let kind: Kind
    /// Methods and class attributes, from the class body.
    var attributes: [String: Value]

    init(name: String, bases: [ClassValue], kind: Kind, attributes: [String: Value]) {
        self.name = name
        self.bases = bases
        self.kind = kind
        self.attributes = attributes
    }

    /// Method resolution order: the class, then its bases depth first, left to right, each once.
    var mro: [ClassValue] {
        var seen: Set<ObjectIdentifier> = []
        var out: [ClassValue] = []
        func visit(_ c: ClassValue) {
            guard seen.insert(ObjectIdentifier(c)).inserted else { return }
            out.append(c)
            c.bases.forEach(visit)
        }
        visit(self)
        return out
    }

    /// The attribute `name` from the first class in the MRO (after `after`, for super()).
    func lookup(_ name: String, after: ClassValue? = nil) -> Value? {
        var classes = mro
        if let after, let i = classes.firstIndex(where: { $0 === after }) { classes = Array(classes[(i + 1)...]) }
        for c in classes { if let v = c.attributes[name] { return v } }
        return nil
    }

    func isSubclass(of other: ClassValue) -> Bool { mro.contains { $0 === other } }
}

/// An object of a plain class, or the attributes of a module made from a class that are
/// neither sub-modules nor parameters.
package final class Instance {
    let cls: ClassValue
    private(set) var attributes: [String: Value] = [:]

    init(cls: ClassValue) { self.cls = cls }

    func set(_ name: String, _ value: Value?) {
        if StatementJournal.isActive {
            let before = attributes
            StatementJournal.willChange(self) { self.attributes = before }
        }
        attributes[name] = value
    }
}

extension Interpreter {
    /// The class a `class` statement makes: its body runs once in a namespace of its own,
    /// whose names become the class's attributes.
    func makeClass(_ def: ClassDef, in scope: Scope) throws -> ClassValue {
        var bases: [ClassValue] = []
        var kind = ClassValue.Kind.plain
        for baseExpr in def.bases {
            let base = try evaluate(baseExpr, in: scope)
            switch base {
            case .classObject(let c):
                bases.append(c)
                if c.kind != .plain { kind = c.kind }
            case .builtin(let b) where b.name == "Module" || b.name == "nn.Module":
                kind = .module
            case .builtin(let b) where b.name == "autograd.Function":
                kind = .autogradFunction
            case .builtin(let b) where b.name == "object" || b.name == "data.Dataset":
                break
            default:
                throw GradError.type("gradsh classes derive from other classes, nn.Module or torch.autograd.Function, not \(base.typeName)").located(baseExpr.location)
            }
        }
        let namespace = Scope(parent: scope)
        for s in def.body { try execute(s, display: false, in: namespace) }
        let cls = ClassValue(name: def.name, bases: bases, kind: kind, attributes: [:])
        // Methods see the scope around the class, not the class body, as in Python.
        for (name, value) in namespace.variables {
            if case .function(let f) = value {
                let method = Function(definition: f.definition, defaults: f.defaults, closure: scope, modes: f.modes)
                method.owner = cls
                cls.attributes[name] = .function(method)
            } else {
                cls.attributes[name] = value
            }
        }
        return cls
    }

    /// `Cls(args)`: a new object, initialised by `__init__`.
    func instantiate(_ cls: ClassValue, _ positional: [Value], _ keywords: [(String, Value)]) throws -> Value {
        let object: Value
        switch cls.kind {
        case .autogradFunction:
            throw GradError.runtime("\(cls.name) is a torch.autograd.Function: call it as \(cls.name).apply(...)")
        case .plain:
            object = .instance(Instance(cls: cls))
        case .module:
            let module = ScriptModule(className: cls.name)
            module.pythonObject = Instance(cls: cls)
            // Sequential and other holders call forward with one tensor; it runs the class's.
            module.forwardBody = { [weak self, weak module] input in
                guard let self, let module else { return input }
                return try self.call(.module(module), [.tensor(input)]).asTensor("forward's result")
            }
            object = .module(module)
        }
        if case .function(let initializer)? = cls.lookup("__init__") {
            let result = try callFunction(initializer, [object] + positional, keywords)
            guard result.isNone else { throw GradError.type("__init__() should return None, not '\(result.typeName)'") }
        } else if !positional.isEmpty || !keywords.isEmpty {
            throw GradError.type("\(cls.name)() takes no arguments")
        }
        return object
    }

    /// An attribute of an object made from a class: its own attributes, then the class's
    /// (functions bound to it, static ones not).
    func classInstanceAttribute(_ object: Value, _ instance: Instance, _ name: String) -> Value? {
        if let v = instance.attributes[name] { return v }
        return instance.cls.lookup(name).map { bind($0, to: object) }
    }

    /// A class attribute as seen through an object: a method becomes bound to it.
    func bind(_ attribute: Value, to object: Value) -> Value {
        if case .function(let f) = attribute, !f.definition.isStatic { return .boundFunction(f, object) }
        return attribute
    }

    /// `self.name = value` on a module made from a class: modules and parameters register
    /// (in assignment order), anything else is a plain attribute, as nn.Module does it.
    func setModuleAttribute(_ module: ScriptModule, _ instance: Instance, _ name: String, _ value: Value) throws {
        switch value {
        case .module(let child):
            instance.set(name, nil)
            module.register(name, module: child)
        case .tensor(let t) where t.isParameter:
            instance.set(name, nil)
            module.register(name, parameter: t)
        default:
            if module.namedParameters.contains(where: { $0.name == name }) {
                if case .none = value { module.register(name); instance.set(name, Value.none); return }
                throw GradError.type("cannot assign '\(value.typeName == "Tensor" ? "torch.FloatTensor" : value.typeName)' as parameter '\(name)' (torch.nn.Parameter or None expected)")
            }
            if module.namedChildren.contains(where: { $0.name == name }) {
                if case .none = value { module.register(name); instance.set(name, Value.none); return }
                throw GradError.type("cannot assign '\(value.typeName)' as child module '\(name)' (torch.nn.Module or None expected)")
            }
            instance.set(name, value)
        }
    }
}

extension Builtins {
    /// The bases classes derive from, `super()` and `nn.Parameter`.
    static func registerClassSupport(_ add: (String, @escaping Body) -> Void) {
        add("Module") { _, _ in
            throw GradError.type("nn.Module is a base class: define class Net(nn.Module) with __init__ and forward")
        }
        add("data.Dataset") { _, _ in
            throw GradError.type("torch.utils.data.Dataset is a base class: define a subclass with __len__ and __getitem__")
        }
        add("autograd.Function") { _, _ in
            throw GradError.runtime("torch.autograd.Function is a base class: define a subclass with static forward and backward")
        }
        add("object") { args, _ in
            try args.expectCount(0)
            return .instance(Instance(cls: ClassValue(name: "object", bases: [], kind: .plain, attributes: [:])))
        }
        add("super") { args, interp in
            try args.expectCount(0)
            guard let frame = interp.methodFrames.last else { throw GradError.runtime("super(): no arguments") }
            return .superObject(frame.cls, frame.object)
        }
        add("Parameter") { args, _ in
            let b = try args.bind(["data", "requires_grad"], required: 0)
            let data = try b[0].map { try $0.asTensor("data") } ?? Tensor.zeros([0])
            let p = try data.detach()
            try p.setRequiresGrad(try b[1]?.asBool("requires_grad") ?? true)
            p.isParameter = true
            return .tensor(p)
        }
    }
}

/// Carries a class into a builtin's closure (builtins are Sendable; classes live on the
/// evaluation thread only).
private final class ClassBox: @unchecked Sendable {
    let cls: ClassValue
    init(_ cls: ClassValue) { self.cls = cls }
}

/// Carries a context object into its `save_for_backward` builtin.
private final class InstanceBox: @unchecked Sendable {
    weak var instance: Instance?
    init(_ instance: Instance) { self.instance = instance }
}

extension Interpreter {
    /// The `ctx` of a custom Function: attributes set in forward are there in backward.
    nonisolated(unsafe) static let contextClass = ClassValue(name: "FunctionCtx", bases: [], kind: .plain, attributes: [:])

    /// `Fn.apply`, for a `torch.autograd.Function` subclass.
    func applyMethod(of cls: ClassValue) -> Value {
        let box = ClassBox(cls)
        return .builtin(Builtin(name: "apply") { args, interp in try interp.applyCustomFunction(box.cls, args.positional, args.keywords) })
    }

    /// `Fn.apply(args)`: the class's static forward runs without recording (as in PyTorch);
    /// when an input requires grad, the output gets a node named `FnBackward` whose backward
    /// calls the class's static backward with the saved tensors (checked for in-place
    /// changes like any op's) and the output's gradient.
    func applyCustomFunction(_ cls: ClassValue, _ positional: [Value], _ keywords: [(String, Value)]) throws -> Value {
        guard case .function(let forward)? = cls.lookup("forward") else {
            throw GradError("NotImplementedError", "You must implement the forward function for custom autograd.Function.")
        }
        guard case .function(let backward)? = cls.lookup("backward") else {
            throw GradError("NotImplementedError", "You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")
        }
        let ctx = Instance(cls: Interpreter.contextClass)
        let box = InstanceBox(ctx)
        ctx.set("needs_input_grad", .tuple(TupleStorage(positional.map { if case .tensor(let t) = $0 { return .bool(t.requiresGrad) } else { return .bool(false) } })))
        ctx.set("save_for_backward", .builtin(Builtin(name: "save_for_backward") { args, _ in
            try args.rejectKeywords()
            let tensors = try args.positional.map { v -> Value in
                guard case .tensor = v else { throw GradError.type("save_for_backward can only save variables, but argument 0 is of type \(v.typeName)") }
                return v
            }
            box.instance?.set("__saved__", .tuple(TupleStorage(tensors)))
            return .none
        }))
        let result = try GradModeState.withGradMode(.noGrad) { try callFunction(forward, [.instance(ctx)] + positional, keywords) }
        guard case .tensor(let output) = result else {
            throw GradError.type("gradsh's custom Functions return one tensor from forward (\(cls.name).forward returned \(result.typeName))")
        }
        let tensorArguments = positional.indices.filter { if case .tensor = positional[$0] { return true } else { return false } }
        let inputs: [Tensor] = positional.compactMap { if case .tensor(let t) = $0 { return t } else { return nil } }
        var saved: [Tensor] = []
        if case .tuple(let items)? = ctx.attributes["__saved__"] {
            for case .tensor(let t) in items { saved.append(t) }
        }
        let argumentCount = positional.count
        try Recorder.recordCustom(cls.name + "Backward", inputs: inputs, output: output, save: saved) { [weak self] savedTensors, grad in
            guard let self else { return tensorArguments.map { _ in nil } }
            ctx.set("saved_tensors", .tuple(TupleStorage(savedTensors.map { .tensor($0) })))
            let r = try self.callFunction(backward, [.instance(ctx), .tensor(grad)], [])
            let grads: [Value] = if case .tuple(let items) = r { items.items } else { [r] }
            guard grads.count == argumentCount else {
                throw GradError.runtime("function \(cls.name)Backward returned an incorrect number of gradients (expected \(argumentCount), got \(grads.count))")
            }
            return try tensorArguments.map { i in
                switch grads[i] {
                case .tensor(let g): return g
                case .none: return nil
                default: throw GradError.type("function \(cls.name)Backward returned a gradient of type \(grads[i].typeName) at index \(i); expected a Tensor or None")
                }
            }
        }
        return .tensor(output)
    }
}

/// `DataLoader(dataset)` over a dataset defined as a class (`__len__` and `__getitem__`, as
/// `torch.utils.data.Dataset` subclasses are): batches of items fetched by index and put
/// together as PyTorch's default collate does.
package final class ScriptLoader {
    let dataset: Value
    let batchSize: Int
    let shuffle: Bool
    let dropLast: Bool

    init(dataset: Value, batchSize: Int, shuffle: Bool, dropLast: Bool) throws {
        guard batchSize > 0 else {
            throw GradError.value("batch_size should be a positive integer value, but got batch_size=\(batchSize)")
        }
        (self.dataset, self.batchSize, self.shuffle, self.dropLast) = (dataset, batchSize, shuffle, dropLast)
    }
}

extension Interpreter {
    /// The dataset's length, by its `__len__`.
    func datasetLength(_ loader: ScriptLoader) throws -> Int {
        guard case .instance(let i) = loader.dataset, case .function(let f)? = i.cls.lookup("__len__") else {
            throw GradError.type("a DataLoader's dataset needs __len__ and __getitem__")
        }
        return try callFunction(f, [loader.dataset], []).asInt("__len__()")
    }

    /// `len(loader)`: the number of batches.
    func batchCount(_ loader: ScriptLoader) throws -> Int {
        let n = try datasetLength(loader)
        return loader.dropLast ? n / loader.batchSize : (n + loader.batchSize - 1) / loader.batchSize
    }

    /// One pass over the data, a batch at a time.
    func forEachBatch(_ loader: ScriptLoader, _ body: (Value) throws -> Void) throws {
        guard case .instance(let i) = loader.dataset, case .function(let getItem)? = i.cls.lookup("__getitem__") else {
            throw GradError.type("a DataLoader's dataset needs __len__ and __getitem__")
        }
        let n = try datasetLength(loader)
        // In order, indices are computed, not listed: __len__ may claim any size.
        let shuffled: [Int64]? = loader.shuffle ? try Tensor.randperm(n).scalars().map(\.int64Value) : nil
        var start = 0
        while start < n {
            let end = Swift.min(start + Swift.min(loader.batchSize, n - start), n)
            if loader.dropLast && end - start < loader.batchSize { break }
            try checkInterrupt()
            try Interpreter.checkSequence(Int64(end - start))
            let items = try (start..<end).map { i in
                try callFunction(getItem, [loader.dataset, .int(shuffled.map { $0[i] } ?? Int64(i))], [])
            }
            try body(try collate(items, depth: 0))
            start = end
        }
    }

    /// PyTorch's default collate: tensors stacked, numbers made a tensor, tuples and lists
    /// collated position by position (into a list), dicts key by key, strings kept as a list.
    func collate(_ items: [Value], depth: Int) throws -> Value {
        guard let first = items.first else { return .list(ListStorage([])) }
        if depth > 1000 { throw GradError("RecursionError", "maximum recursion depth exceeded while collating a batch") }
        switch first {
        case .tensor:
            return .tensor(try Tensor.stack(try items.map { try $0.asTensor("batch item") }))
        case .int, .float, .bool:
            return .tensor(try Builtins.tensorFromData(.list(ListStorage(items)), dtype: nil))
        case .tuple(let t):
            let width = t.count
            guard items.allSatisfy({ (try? $0.asSequence("item").count) == width }) else {
                throw GradError.runtime("each element in list of batch should be of equal size")
            }
            let columns = try (0..<width).map { k in try collate(try items.map { try $0.asSequence("item")[k] }, depth: depth + 1) }
            return .list(ListStorage(columns))
        case .list(let l):
            let width = l.items.count
            let columns = try (0..<width).map { k in try collate(try items.map { try $0.asSequence("item")[k] }, depth: depth + 1) }
            return .list(ListStorage(columns))
        case .dict(let d):
            let out = DictStorage()
            for key in d.keys {
                try out.set(key, try collate(try items.map { item -> Value in
                    guard case .dict(let other) = item, let v = try other.value(for: key) else { throw GradError("KeyError", try Repr.repr(key)) }
                    return v
                }, depth: depth + 1))
            }
            return .dict(out)
        case .str:
            return .list(ListStorage(items))
        default:
            throw GradError.type("default_collate: batch must contain tensors, numbers, dicts or lists; found \(first.typeName)")
        }
    }
}
