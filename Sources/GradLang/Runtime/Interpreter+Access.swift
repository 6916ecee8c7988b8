import GradCore

/// Subscripts and attributes.
extension Interpreter {
    // MARK: subscripts

    /// The tensor index items of a subscript: ints, slices, None, `...`, masks and index tensors.
    func tensorIndex(_ items: [IndexItem], in scope: Scope) throws -> [TensorIndex] {
        try items.map { item in
            switch item {
            case .ellipsis: return .ellipsis
            case .slice(let a, let b, let c):
                func bound(_ e: Expr?) throws -> Int? {
                    guard let e else { return nil }
                    let v = try evaluate(e, in: scope)
                    if v.isNone { return nil }
                    return try v.asInt("slice indices")
                }
                return .slice(start: try bound(a), end: try bound(b), step: try bound(c))
            case .expr(let e):
                let v = try evaluate(e, in: scope)
                switch v {
                case .none: return .newAxis
                case .int: return .int(try v.asInt("index"))
                // `x[True]` is a 0-d mask, as in PyTorch: a new dim of size 1 (or 0 for False).
                case .bool(let b): return .tensor(try Tensor.full([], .bool(b), dtype: .bool))
                case .tensor(let t):
                    if t.dtype == .float32 {
                        throw GradError.index("tensors used as indices must be long, int, byte or bool tensors")
                    }
                    return .tensor(t)
                case .list(let l):
                    return .tensor(try Builtins.tensorFromData(.list(l), dtype: nil))
                // `x[range(n), labels]`: a range indexes as the list of its ints, as in PyTorch.
                case .range(let start, let stop, let step):
                    let n = Builtins.rangeLength(start, stop, step) ?? 0
                    try Interpreter.checkSequence(n, bytesPerItem: 8)
                    return .tensor(try Tensor.arange(.int(start), .int(stop), .int(step), dtype: .int64))
                case .tuple:
                    throw GradError.index("a tuple inside an index is not supported; write the indices separated by commas")
                default:
                    throw GradError.index("only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors are valid indices (got \(v.typeName))")
                }
            }
        }
    }

    /// A dict's key: `d[k]`, or `d[a, b]` for the tuple `(a, b)` as in Python.
    func dictKey(_ items: [IndexItem], in scope: Scope) throws -> Value {
        let values = try items.map { item -> Value in
            guard case .expr(let e) = item else { throw GradError.type("unhashable type: 'slice'") }
            return try evaluate(e, in: scope)
        }
        return values.count == 1 ? values[0] : .tuple(TupleStorage(values))
    }

    func getItem(_ base: Value, _ items: [IndexItem], in scope: Scope) throws -> Value {
        switch base {
        case .tensor(let t):
            return .tensor(try t.index(tensorIndex(items, in: scope)))
        case .list(let l):
            return try sequenceItem(l.items, items, in: scope, kind: "list") { .list(ListStorage($0)) }
        case .tuple(let xs):
            return try sequenceItem(xs.items, items, in: scope, kind: "tuple") { .tuple(TupleStorage($0)) }
        case .str(let s):
            return try sequenceItem(s.map { .str(String($0)) }, items, in: scope, kind: "string") {
                .str($0.map { if case .str(let c) = $0 { return c } else { return "" } }.joined())
            }
        case .range(let a, let b, let step):
            return try rangeItem(start: a, stop: b, step: step, items, in: scope)
        case .dict(let d):
            let key = try dictKey(items, in: scope)
            guard let v = try d.value(for: key) else { throw GradError("KeyError", try Repr.repr(key)) }
            return v
        case .instance(let i):
            guard case .function(let f)? = i.cls.lookup("__getitem__") else { throw GradError.type("'\(i.cls.name)' object is not subscriptable") }
            return try callFunction(f, [base, try dictKey(items, in: scope)], [])
        case .dataset(let d):
            guard items.count == 1, case .expr(let e) = items[0] else { throw GradError.type("a dataset is indexed by one integer") }
            var i = try evaluate(e, in: scope).asInt("index")
            if i < 0 { i += d.count }
            guard i >= 0 && i < d.count else { throw GradError.index("index \(i) is out of bounds for dimension 0 with size \(d.count)") }
            return .tuple(TupleStorage(try d.item(i).map { .tensor($0) }))
        case .module(let m as Sequential):
            guard items.count == 1, case .expr(let e) = items[0] else { throw GradError.type("Sequential is indexed by one integer") }
            var i = try evaluate(e, in: scope).asInt("index")
            if i < 0 { i += m.modules.count }
            guard i >= 0 && i < m.modules.count else { throw GradError.index("index \(i) is out of range") }
            return .module(m.modules[i])
        default:
            throw GradError.type("'\(base.typeName)' object is not subscriptable")
        }
    }

    private func sequenceItem(_ xs: [Value], _ items: [IndexItem], in scope: Scope, kind: String,
                              make: ([Value]) -> Value) throws -> Value {
        guard items.count == 1 else { throw GradError.type("\(kind) indices must be integers or slices, not tuple") }
        switch items[0] {
        case .expr(let e):
            let v = try evaluate(e, in: scope)
            guard case .int = v.isBool ? Value.int(0) : v else {
                if case .tensor(let t) = v, t.numel == 1, t.dtype != .float32 {
                    return try sequenceElement(xs, Int(try t.item().int64Value), kind: kind)
                }
                throw GradError.type("\(kind) indices must be integers or slices, not \(v.typeName)")
            }
            return try sequenceElement(xs, try v.asInt("index"), kind: kind)
        case .slice(let a, let b, let c):
            func bound(_ e: Expr?) throws -> Int? {
                guard let e else { return nil }
                let v = try evaluate(e, in: scope)
                return v.isNone ? nil : try v.asInt("slice indices")
            }
            let picked = try SliceIndices(start: try bound(a), stop: try bound(b), step: try bound(c), count: xs.count)
            var out: [Value] = []
            out.reserveCapacity(picked.count)
            for k in 0..<picked.count { out.append(xs[picked.start + k * picked.step]) }
            return make(out)
        case .ellipsis:
            throw GradError.type("\(kind) indices must be integers or slices, not ellipsis")
        }
    }

    /// `range(...)[i]` and `range(...)[a:b:c]` as Python computes them, without listing the
    /// range: a slice of a range is a range.
    private func rangeItem(start: Int64, stop: Int64, step: Int64, _ items: [IndexItem], in scope: Scope) throws -> Value {
        guard let length = Builtins.rangeLength(start, stop, step), length <= Int64(Int.max) else {
            throw GradError("OverflowError", "Python int too large to convert to C ssize_t")
        }
        let n = Int(length)
        guard items.count == 1 else { throw GradError.type("range indices must be integers or slices, not tuple") }
        switch items[0] {
        case .expr(let e):
            let v = try evaluate(e, in: scope)
            guard case .int = v.isBool ? Value.int(0) : v else {
                throw GradError.type("range indices must be integers or slices, not \(v.typeName)")
            }
            var i = try v.asInt("index")
            if i < 0 { i += n }
            guard i >= 0 && i < n else { throw GradError.index("range object index out of range") }
            // In range by construction: start + i*step lies between start and stop.
            return .int(start &+ Int64(i) &* step)
        case .slice(let a, let b, let c):
            func bound(_ e: Expr?) throws -> Int? {
                guard let e else { return nil }
                let v = try evaluate(e, in: scope)
                return v.isNone ? nil : try v.asInt("slice indices")
            }
            let picked = try SliceIndices(start: try bound(a), stop: try bound(b), step: try bound(c), count: n)
            let (newStep, o) = step.multipliedReportingOverflow(by: Int64(picked.step))
            if o { throw GradError("OverflowError", "Python int too large to convert to C ssize_t") }
            // As Python: start + i*step for the slice's first and end indices.
            func element(_ i: Int) throws -> Int64 {
                let (offset, o1) = Int64(i).multipliedReportingOverflow(by: step)
                let (value, o2) = start.addingReportingOverflow(offset)
                if o1 || o2 { throw GradError("OverflowError", "Python int too large to convert to C ssize_t") }
                return value
            }
            return .range(start: try element(picked.start), stop: try element(picked.end), step: newStep)
        case .ellipsis:
            throw GradError.type("range indices must be integers or slices, not ellipsis")
        }
    }

    private func sequenceElement(_ xs: [Value], _ index: Int, kind: String) throws -> Value {
        let i = index < 0 ? index + xs.count : index
        guard i >= 0 && i < xs.count else { throw GradError.index("\(kind) index out of range") }
        return xs[i]
    }

    func setItem(_ base: Value, _ items: [IndexItem], _ value: Value, in scope: Scope) throws {
        switch base {
        case .tensor(let t):
            let index = try tensorIndex(items, in: scope)
            let v: Tensor
            switch value {
            case .tensor(let x): v = x
            case .list, .tuple: v = try Builtins.tensorFromData(value, dtype: t.dtype)
            default:
                guard let s = value.scalar else {
                    throw GradError.type("can't assign a \(value.typeName) to a torch.\(t.dtype == .float32 ? "Float" : t.dtype == .int64 ? "Long" : "Bool")Tensor")
                }
                v = Tensor.wrapping(s)
            }
            try t.indexAssign(index, v)
        case .list(let l):
            guard items.count == 1, case .expr(let e) = items[0] else {
                throw GradError.type("list indices must be integers")
            }
            var i = try evaluate(e, in: scope).asInt("list index")
            if i < 0 { i += l.items.count }
            guard i >= 0 && i < l.items.count else { throw GradError.index("list assignment index out of range") }
            l.willMutate()
            l.items[i] = value
        case .tuple:
            throw GradError.type("'tuple' object does not support item assignment")
        case .dict(let d):
            try d.set(try dictKey(items, in: scope), value)
        case .instance(let i):
            guard case .function(let f)? = i.cls.lookup("__setitem__") else { throw GradError.type("'\(i.cls.name)' object does not support item assignment") }
            _ = try callFunction(f, [base, try dictKey(items, in: scope), value], [])
        default:
            throw GradError.type("'\(base.typeName)' object does not support item assignment")
        }
    }

    // MARK: attributes

    func getAttribute(_ base: Value, _ name: String) throws -> Value {
        switch base {
        case .tensor(let t):
            if name == "grad", t.grad == nil, !t.retainsGrad, t.gradFnOrRecorded != nil {
                warnOnce("UserWarning: " + Self.nonLeafGradWarning)
            }
            return try Methods.tensorAttribute(t, name)
        case .namespace(let ns): return try Builtins.namespaceMember(ns, name)
        case .module(let m as ScriptModule):
            if let instance = m.pythonObject as? Instance, let v = classInstanceAttribute(base, instance, name) { return v }
            if let p = m.namedParameters.first(where: { $0.name == name }) { return .tensor(p.tensor) }
            if let c = m.namedChildren.first(where: { $0.name == name }) { return .module(c.module) }
            return try Methods.moduleAttribute(m, name)
        case .module(let m): return try Methods.moduleAttribute(m, name)
        case .instance(let i):
            if let v = classInstanceAttribute(base, i, name) { return v }
            throw GradError.attribute(i.cls.name, name)
        case .classObject(let c):
            if name == "__name__" { return .str(c.name) }
            if let v = c.lookup(name) { return v }
            if c.kind == .autogradFunction && name == "apply" { return applyMethod(of: c) }
            throw GradError("AttributeError", "type object '\(c.name)' has no attribute '\(name)'")
        case .superObject(let c, let object):
            let cls: ClassValue?
            switch object {
            case .instance(let i): cls = i.cls
            case .module(let m as ScriptModule): cls = (m.pythonObject as? Instance)?.cls
            default: cls = nil
            }
            if let cls, let v = cls.lookup(name, after: c) { return bind(v, to: object) }
            // What object and nn.Module give every class.
            if name == "__init__" { return .builtin(Builtin(name: "__init__") { _, _ in .none }) }
            if case .module(let m) = object { return try Methods.moduleAttribute(m, name) }
            throw GradError("AttributeError", "'super' object has no attribute '\(name)'")
        case .optimizer(let o):
            if ModuleRegistry.optimizerMethodsByName[name] != nil { return .boundMethod(receiver: .optimizer(o), name: name) }
            if name == "param_groups" { return .list(ListStorage([.opaque(typeName: "dict", repr: o.repr)])) }
        case .node(let n):
            switch name {
            case "next_functions":
                return .tuple(TupleStorage(n.nextFunctions.map { .tuple([$0.0.map { .node($0) } ?? .none, .int(Int64($0.1))]) }))
            case "name": return .boundMethod(receiver: .node(n), name: name)
            case "variable" where n.variable != nil: return .tensor(n.variable!)
            case "metadata": return .opaque(typeName: "dict", repr: "{}")
            default:
                // PyTorch's `_saved_exponent`, `_saved_min`: the numbers the node keeps.
                if name.hasPrefix("_saved_"), let s = n.savedScalars.first(where: { "_saved_" + $0.name == name }) {
                    switch s.value {
                    case .int(let i): return .int(i)
                    case .float(let d): return .float(d)
                    case .bool(let b): return .bool(b)
                    }
                }
            }
        case .list(let l):
            if Methods.listMethodNames.contains(name) {
                return .boundMethod(receiver: .list(l), name: name)
            }
        case .dict(let d):
            if Methods.dictMethodNames.contains(name) {
                return .boundMethod(receiver: .dict(d), name: name)
            }
        case .str(let s):
            if Methods.stringMethodNames.contains(name) {
                return .boundMethod(receiver: .str(s), name: name)
            }
        case .dtype(let d):
            if name == "is_floating_point" { return .bool(d.isFloatingPoint) }
            if name == "itemsize" { return .int(Int64(d.itemSize)) }
        case .loader(let l):
            if name == "dataset" { return .dataset(l.dataset) }
            if name == "batch_size" { return .int(Int64(l.batchSize)) }
        case .dataset(let d):
            if name == "tensors" { return .tuple(TupleStorage(d.tensors.map { .tensor($0) })) }
        case .float(let d):
            if name == "is_integer" { return .opaque(typeName: "method", repr: "\(d == d.rounded())") }
        default: break
        }
        if case .namespace = base { throw GradError.attribute("module", name) }
        throw GradError.attribute(base.typeName, name)
    }

    func setAttribute(_ base: Value, _ name: String, _ value: Value) throws {
        switch base {
        case .tensor(let t):
            switch name {
            case "grad":
                switch value {
                case .none: t.grad = nil
                case .tensor(let g):
                    guard g !== t else { throw GradError.runtime("can't assign Variable as its own grad") }
                    guard g.dtype == t.dtype else {
                        let cName = ["bool": "bool", "int64": "long int", "float32": "float"][g.dtype.name] ?? g.dtype.name
                        throw GradError.runtime("attempting to assign a gradient with dtype '\(cName)' to a tensor with grad_dtype '\(t.dtype.scalarTypeName)'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break downstream systems that assume they match.")
                    }
                    guard g.shape == t.shape else {
                        func dims(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
                        throw GradError.runtime("attempting to assign a gradient of size '\(dims(g.shape))' to a tensor of size '\(dims(t.shape))'. Please ensure that the gradient and the tensor are the same size")
                    }
                    t.grad = g
                default: throw GradError.type("assigned grad expected to be a Tensor or None but got grad of type \(value.typeName)")
                }
                return
            case "requires_grad":
                // Only True or False, as PyTorch checks (not 1, not None).
                guard case .bool(let flag) = value else { throw GradError.runtime("requires_grad must be a bool") }
                try t.setRequiresGrad(flag, message: .attribute)
                return
            case "data":
                guard case .tensor(let src) = value else {
                    throw GradError.type("Variable data has to be a tensor, but got \(value.typeName)")
                }
                try t.setData(src)
                return
            default:
                if Methods.tensorAttributeNames.contains(name) || Methods.tensorMethodNames.contains(name) {
                    throw GradError("AttributeError", "attribute '\(name)' of 'torch._C.TensorBase' objects is not writable")
                }
                throw GradError.attribute("Tensor", name)
            }
        case .module(let m as ScriptModule):
            if name == "training" { m.train(try value.asBool("training")); return }
            guard let instance = m.pythonObject as? Instance else { break }
            try setModuleAttribute(m, instance, name, value)
            return
        case .instance(let i):
            i.set(name, value)
            return
        case .classObject(let c):
            c.attributes[name] = value
            return
        case .module(let m):
            if name == "training" { m.train(try value.asBool("training")); return }
            throw GradError("AttributeError", "cannot assign '\(name)' on \(m.typeName): gradsh modules have fixed attributes")
        default:
            throw GradError("AttributeError", "'\(base.typeName)' object attribute '\(name)' is read-only")
        }
    }
}

/// Python's `slice.indices`: the first index, the step and how many items a slice of a
/// sequence of `count` items picks, computed without overflow for any bounds.
struct SliceIndices {
    let start: Int
    /// The bound the slice stops before, clamped as Python clamps it.
    let end: Int
    let step: Int
    let count: Int

    init(start: Int?, stop: Int?, step: Int?, count n: Int) throws {
        let step = step ?? 1
        if step == 0 { throw GradError.value("slice step cannot be zero") }
        func clamp(_ v: Int?, _ def: Int) -> Int {
            guard var v else { return def }
            if v < 0 { v += n }
            return step > 0 ? Swift.min(Swift.max(v, 0), n) : Swift.min(Swift.max(v, -1), n - 1)
        }
        let first = clamp(start, step > 0 ? 0 : n - 1)
        let end = clamp(stop, step > 0 ? n : -1)
        self.start = first
        self.end = end
        self.step = step
        // Both bounds lie in -1...n, so the distance cannot overflow.
        if step > 0 {
            count = first < end ? 1 + (end - first - 1) / step : 0
        } else {
            count = first > end ? 1 + (first - end - 1) / (step == Int.min ? Int.max : -step) : 0
        }
    }
}
