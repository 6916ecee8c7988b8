import GradCore

/// A runtime value of the gradsh language: Python-like scalars and containers, tensors, and
/// the objects of PyTorch's API (modules, optimizers, loaders, grad_fn nodes, dtypes).
package enum Value {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case str(String)
    case tensor(Tensor)
    case tuple(TupleStorage)
    case list(ListStorage)
    case dict(DictStorage)
    /// A raised or constructed exception (`except ValueError as e`, `ValueError("x")`).
    case exception(GradError)
    /// A class defined with `class`, and an object made from one (modules made from a class
    /// are `.module`).
    case classObject(ClassValue)
    case instance(Instance)
    /// `obj.method`: a function of a class with its first argument taken.
    indirect case boundFunction(Function, Value)
    /// `super()` inside a method of `ClassValue`, for the object `Value`.
    indirect case superObject(ClassValue, Value)
    case function(Function)
    case builtin(Builtin)
    case boundMethod(receiver: Receiver, name: String)
    case module(Module)
    case optimizer(Optimizer)
    case dataset(TensorDataset)
    case loader(DataLoader)
    /// A DataLoader over a dataset defined as a class.
    case scriptLoader(ScriptLoader)
    case node(Node)
    case dtype(DType)
    case range(start: Int64, stop: Int64, step: Int64)
    /// `torch`, `nn`, `torch.nn.functional`, ...: attribute access finds builtins.
    case namespace(String)
    /// An object that is only shown, such as what `set_grad_enabled(False)` returns.
    case opaque(typeName: String, repr: String)
    /// What `no_grad()`, `enable_grad()`, `inference_mode(b)` and `set_grad_enabled(b)`
    /// return: shown as PyTorch's object, and callable on a function to wrap it in the
    /// mode (`no_grad()(f)`), as a decorator does. `set_grad_enabled(b)` has already
    /// changed the mode when it returns; wrapping a function with it puts back
    /// `restoring`, the grad mode before the call, as PyTorch's does.
    case gradModeObject(GradModeChange, restoring: Bool?)

    /// Python's type name, used in error messages.
    package var typeName: String {
        switch self {
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .str: return "str"
        case .tensor: return "Tensor"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .exception(let e): return e.type
        case .classObject: return "type"
        case .instance(let i): return i.cls.name
        case .boundFunction: return "method"
        case .superObject: return "super"
        case .function: return "function"
        case .builtin: return "builtin_function_or_method"
        case .boundMethod: return "builtin_function_or_method"
        case .module(let m): return m.typeName
        case .optimizer(let o): return o.typeName
        case .dataset: return "TensorDataset"
        case .loader, .scriptLoader: return "DataLoader"
        case .node(let n): return n.name
        case .dtype: return "dtype"
        case .range: return "range"
        case .namespace: return "module"
        case .opaque(let t, _): return t
        case .gradModeObject(let change, _): return change.kind.torchName
        }
    }

    /// Python truthiness; a tensor must hold exactly one element.
    func truth() throws -> Bool {
        switch self {
        case .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .str(let s): return !s.isEmpty
        case .tuple(let items): return !items.isEmpty
        case .list(let l): return !l.items.isEmpty
        case .dict(let d): return d.count > 0
        case .range(let a, let b, let s): return s > 0 ? a < b : a > b
        case .tensor(let t):
            guard t.numel == 1 else {
                throw GradError.runtime("Boolean value of Tensor with more than one value is ambiguous")
            }
            return try t.item().boolValue
        default: return true
        }
    }
}

/// A mutable Python list, shared by every name bound to it.
package final class ListStorage {
    package var items: [Value]
    package init(_ items: [Value]) { self.items = items }

    deinit { NestedValues.free(&items) }

    /// Called before every change to the items, so a failed statement can put them back.
    func willMutate() {
        guard StatementJournal.isActive else { return }
        let before = items
        StatementJournal.willChange(self) { self.items = before }
    }
}

/// The items of a Python tuple: immutable, and a class (not an array in the enum) so a
/// tuple nested ten million deep (`t = (t,)` in a loop) is freed without recursion.
package final class TupleStorage: RandomAccessCollection, ExpressibleByArrayLiteral {
    package private(set) var items: [Value]
    package init(_ items: [Value]) { self.items = items }
    package convenience init(arrayLiteral items: Value...) { self.init(items) }
    deinit { NestedValues.free(&items) }

    package var startIndex: Int { 0 }
    package var endIndex: Int { items.count }
    package subscript(i: Int) -> Value { items[i] }
    package subscript(bounds: Range<Int>) -> ArraySlice<Value> { items[bounds] }

    fileprivate func detach(into pending: inout [AnyObject]) { NestedValues.detach(&items, into: &pending) }
}

/// Freeing nested lists and tuples without recursion: containers that only the one being
/// freed keeps alive are taken apart one by one from a work list, as the autograd
/// graph's nodes are; the rest are freed with the array, which then recurses no deeper
/// than one level.
enum NestedValues {
    static func free(_ items: inout [Value]) {
        guard items.contains(where: \.isContainer) else { return }
        var pending: [AnyObject] = []
        detach(&items, into: &pending)
        while var next = pending.popLast() {
            guard isKnownUniquelyReferenced(&next) else { continue }
            if let list = next as? ListStorage {
                detach(&list.items, into: &pending)
            } else if let tuple = next as? TupleStorage {
                tuple.detach(into: &pending)
            } else if let dict = next as? DictStorage {
                dict.detach(into: &pending)
            }
        }
    }

    fileprivate static func detach(_ items: inout [Value], into pending: inout [AnyObject]) {
        for item in items {
            switch item {
            case .list(let l): pending.append(l)
            case .tuple(let t): pending.append(t)
            case .dict(let d): pending.append(d)
            default: break
            }
        }
        items = []
    }
}

extension Value {
    fileprivate var isContainer: Bool {
        switch self {
        case .list, .tuple, .dict: return true
        default: return false
        }
    }
}

/// What a bound method is bound to.
package enum Receiver {
    case tensor(Tensor)
    case list(ListStorage)
    case dict(DictStorage)
    case module(Module)
    case optimizer(Optimizer)
    case node(Node)
    case str(String)
}

/// A function defined with `def`: its parameters, body, the scope it closes over, and the
/// grad modes its decorators apply around every call.
package final class Function {
    package let definition: FunctionDef
    let defaults: [Value?]
    let closure: Scope
    let modes: [GradModeChange]
    /// The class whose body defined it (for `super()`); weak, as the class holds it.
    weak var owner: ClassValue?

    init(definition: FunctionDef, defaults: [Value?], closure: Scope, modes: [GradModeChange]) {
        self.definition = definition
        self.defaults = defaults
        self.closure = closure
        self.modes = modes
    }

    package var name: String { definition.name }
}

/// A built-in function: its Python name and implementation.
package struct Builtin: Sendable {
    package let name: String
    let call: @Sendable (inout CallArguments, Interpreter) throws -> Value
}

/// Variables of one function call (or the session's globals), with a link to the scope the
/// function was defined in: blocks make no scope, as in Python.
package final class Scope {
    var variables: [String: Value] = [:]
    let parent: Scope?
    /// Names a `global` or `nonlocal` statement sent elsewhere, with the scope they live in.
    var redirects: [String: Scope] = [:]

    /// The scope an assignment to `name` writes to.
    func target(for name: String) -> Scope { redirects[name] ?? self }
    /// A function call's local names (`FunctionDef.localNames`); empty at top level.
    let localNames: Set<String>

    init(parent: Scope?, localNames: Set<String> = []) {
        self.parent = parent
        self.localNames = localNames
    }

    /// Python's UnboundLocalError, when `name` is local here but not assigned yet.
    func checkBound(_ name: String) throws {
        if variables[name] == nil && localNames.contains(name) {
            throw GradError("UnboundLocalError", "cannot access local variable '\(name)' where it is not associated with a value")
        }
    }

    func lookup(_ name: String) -> Value? {
        var s: Scope? = self
        while let scope = s {
            if let v = scope.variables[name] { return v }
            s = scope.parent
        }
        return nil
    }

    /// Names bound in this scope, sorted, for `:vars` and completion.
    package var names: [String] { variables.keys.sorted() }

    package func value(of name: String) -> Value? { variables[name] }

    /// The storages of every tensor reachable from these variables: in lists and tuples,
    /// module parameters, optimizer parameters, and `.grad`s.
    package var heldStorages: Set<ObjectIdentifier> {
        var held = Set<ObjectIdentifier>()
        func hold(_ t: Tensor) {
            held.insert(ObjectIdentifier(t.storage))
            if let g = t.grad { held.insert(ObjectIdentifier(g.storage)) }
        }
        func visit(_ v: Value, depth: Int) {
            guard depth < 32 else { return }
            switch v {
            case .tensor(let t): hold(t)
            case .list(let l): l.items.forEach { visit($0, depth: depth + 1) }
            case .tuple(let items): items.forEach { visit($0, depth: depth + 1) }
            case .dict(let d): d.values.forEach { visit($0, depth: depth + 1) }
            case .module(let m): m.parameters().forEach(hold)
            case .optimizer(let o): o.parameters.forEach(hold)
            case .dataset(let d): d.tensors.forEach(hold)
            case .loader(let l): l.dataset.tensors.forEach(hold)
            default: break
            }
        }
        variables.values.forEach { visit($0, depth: 0) }
        return held
    }

    /// Every binding, sorted by name.
    package var bindings: [(name: String, value: Value)] { variables.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
}
