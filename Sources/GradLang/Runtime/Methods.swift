import Foundation
import GradCore

/// Attributes and methods of tensors, modules, optimizers, lists, strings and grad_fn nodes.
enum Methods {
    static let tensorAttributeNames: Set<String> = [
        "shape", "dtype", "grad", "requires_grad", "is_leaf", "grad_fn", "T", "data", "_version", "ndim", "device", "mT", "_base",
    ]

    static let tensorMethodNames: Set<String> = [
        "backward", "retain_grad", "detach", "detach_", "requires_grad_", "item", "tolist", "numel", "size", "dim",
        "is_inference", "is_contiguous", "contiguous", "clone", "float", "long", "bool", "int", "to", "type",
        "sum", "mean", "max", "min", "argmax", "argmin", "prod", "all", "any",
        "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu",
        "clamp", "clip", "maximum", "minimum", "matmul", "mm", "dot", "mv", "t", "transpose", "permute", "reshape", "view",
        "view_as", "reshape_as", "flatten", "squeeze", "unsqueeze", "expand", "expand_as", "softmax", "log_softmax",
        "add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "clamp_", "relu_", "pow_", "uniform_", "normal_",
        "eq", "ne", "lt", "le", "gt", "ge", "sign", "square", "logical_not", "logical_and", "logical_or",
        "floor_divide", "remainder", "numpy", "masked_fill", "exp_", "neg_", "abs_", "sqrt_", "sigmoid_", "tanh_",
        "is_inference_tensor", "_is_view", "narrow", "transpose_", "t_", "select",
    ]

    static func call(_ receiver: Receiver, _ name: String, _ args: inout CallArguments, _ interp: Interpreter) throws -> Value {
        switch receiver {
        case .tensor(let t): return try callTensorMethod(t, name, &args, interp)
        case .module(let m): return try callModuleMethod(m, name, &args, interp)
        case .optimizer(let o):
            try args.expectCount(0)
            if name == "step" { try o.step() } else { o.zeroGrad() }
            return .none
        case .node(let n):
            // name(): PyTorch's C++ name, qualified for the nodes its autograd defines by hand.
            try args.expectCount(0)
            return .str(["AccumulateGrad", "CopySlices"].contains(n.name) ? "torch::autograd::" + n.name : n.name)
        case .list(let l): return try callListMethod(l, name, &args, interp)
        case .str(let s): return try callStringMethod(s, name, &args)
        }
    }

    // MARK: tensor attributes

    static func tensorAttribute(_ t: Tensor, _ name: String) throws -> Value {
        switch name {
        case "shape": return .tuple(t.shape.map { .int(Int64($0)) })
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

    /// Reads `dim` and `keepdim` arguments of a reduction.
    private static func dimArguments(_ args: CallArguments, _ name: String) throws -> (dims: [Int]?, keepdim: Bool) {
        if args.count == 0 { return (nil, false) }
        let b = try args.bind(["dim", "keepdim", "dtype"])
        var dims: [Int]? = nil
        if let d = b[0], !d.isNone {
            switch d {
            case .tuple, .list: dims = try d.asShape("dim")
            default: dims = [try d.asInt("dim")]
            }
        }
        return (dims, try b[1]?.asBool("keepdim") ?? false)
    }

    private static func other(_ args: CallArguments, _ name: String, label: String = "other") throws -> Tensor {
        let b = try args.bind([label, "alpha"], required: 1)
        var t = try b[0]!.asTensor(label)
        if let alpha = b[1], let s = alpha.scalar { t = try t.mul(Tensor.wrapping(s)) }
        return t
    }

    private static func shapeArguments(_ args: CallArguments) throws -> [Int] {
        try args.rejectKeywords()
        if args.positional.count == 1 { return try args.positional[0].asShape("shape") }
        return try args.positional.map { try $0.asInt("shape") }
    }

    typealias TensorMethod = (Tensor, String, CallArguments, Interpreter) throws -> Value

    /// Calls `x.name(args)`. Methods are found by hashing their name: a chain of string
    /// comparisons costs more than the arithmetic of a small tensor op.
    static func callTensorMethod(_ t: Tensor, _ name: String, _ args: inout CallArguments, _ interp: Interpreter) throws -> Value {
        guard let method = tensorMethods[name] else { throw GradError.attribute("Tensor", name) }
        return try method(t, name, args, interp)
    }

    private static func one(_ a: CallArguments, _ f: () throws -> Tensor) throws -> Value {
        try a.expectCount(0)
        return .tensor(try f())
    }

    static let tensorMethods: [String: TensorMethod] = {
        var table: [String: TensorMethod] = [:]
        func add(_ names: [String], _ body: @escaping TensorMethod) { for n in names { table[n] = body } }
        add(["backward"]) { t, name, a, interp in
            let b = try a.bind(["gradient", "retain_graph", "create_graph", "inputs"])
            let g = try b[0].flatMap { $0.isNone ? nil : try $0.asTensor("gradient") }
            let retain = try b[1].flatMap { $0.isNone ? nil : try $0.asBool("retain_graph") }
            try t.backward(gradient: g, retainGraph: retain, createGraph: try b[2]?.asBool("create_graph") ?? false)
            return .none
        }
        add(["retain_grad"]) { t, name, a, interp in
            try a.expectCount(0); try t.retainGrad(); return .none
        }
        add(["detach"]) { t, name, a, interp in
            return try one(a) { try t.detach() }
        }
        add(["detach_"]) { t, name, a, interp in
            return try one(a) { try t.detachInPlace() }
        }
        add(["requires_grad_"]) { t, name, a, interp in
            let b = try a.bind(["requires_grad"])
            try t.setRequiresGrad(try b[0]?.asBool("requires_grad") ?? true, message: .method)
            return .tensor(t)
        }
        add(["item"]) { t, name, a, interp in
            try a.expectCount(0)
            guard t.numel == 1 else { throw GradError.runtime("a Tensor with \(t.numel) elements cannot be converted to Scalar") }
            return pythonValue(try t.item())
        }
        add(["tolist"]) { t, name, a, interp in
            try a.expectCount(0)
            return try toList(t)
        }
        add(["numel"]) { t, name, a, interp in
            return try { try a.expectCount(0); return .int(Int64(t.numel)) }()
        }
        add(["dim"]) { t, name, a, interp in
            return try { try a.expectCount(0); return .int(Int64(t.rank)) }()
        }
        add(["size"]) { t, name, a, interp in
            let b = try a.bind(["dim"])
            if let d = b[0], !d.isNone {
                let dim = try d.asInt("dim")
                guard t.rank > 0 else {
                    throw GradError("IndexError", "Dimension specified as \(dim) but tensor has no dimensions")
                }
                return .int(Int64(t.shape[try Shape.normalize(dim: dim, rank: t.rank)]))
            }
            return .tuple(t.shape.map { .int(Int64($0)) })
        }
        add(["is_inference"]) { t, name, a, interp in
            try a.expectCount(0); return .bool(t.isInference)
        }
        add(["transpose_"]) { t, name, a, interp in
            let b = try a.bind(["dim0", "dim1"], required: 2)
            return .tensor(try t.transposeInPlace(try b[0]!.asInt("dim0"), try b[1]!.asInt("dim1")))
        }
        add(["t_"]) { t, name, a, interp in
            try a.expectCount(0)
            guard t.rank <= 2 else {
                throw GradError.runtime("t_() expects a tensor with <= 2 dimensions, but self is \(t.rank)D")
            }
            return .tensor(t.rank < 2 ? t : try t.transposeInPlace(0, 1))
        }
        add(["select"]) { t, name, a, interp in
            let b = try a.bind(["dim", "index"], required: 2)
            return .tensor(try t.select(dim: try b[0]!.asInt("dim"), index: try b[1]!.asInt("index")))
        }
        add(["_is_view"]) { t, name, a, interp in
            try a.expectCount(0); return .bool(t.viewBase != nil)
        }
        add(["narrow"]) { t, name, a, interp in
            let b = try a.bind(["dim", "start", "length"], required: 3)
            return .tensor(try t.narrow(dim: try b[0]!.asInt("dim"), start: try b[1]!.asInt("start"), length: try b[2]!.asInt("length")))
        }
        add(["is_contiguous"]) { t, name, a, interp in
            try a.expectCount(0); return .bool(t.isContiguous)
        }
        add(["contiguous"]) { t, name, a, interp in
            return try one(a) { try t.contiguous() }
        }
        add(["clone"]) { t, name, a, interp in
            return try one(a) { try t.clone() }
        }
        add(["float"]) { t, name, a, interp in
            return try one(a) { try t.to(.float32) }
        }
        add(["long", "int"]) { t, name, a, interp in
            return try one(a) { try t.to(.int64) }
        }
        add(["bool"]) { t, name, a, interp in
            return try one(a) { try t.to(.bool) }
        }
        add(["to", "type"]) { t, name, a, interp in
            let b = try a.bind(["dtype"], required: 1)
            return .tensor(try t.to(try Builtins.dtypeArgument(b[0]) ?? t.dtype))
        }
        add(["sum"]) { t, name, a, interp in
            let (dims, keep) = try dimArguments(a, name)
            return .tensor(try dims.map { try t.sum(dims: $0, keepdim: keep) } ?? t.sum())
        }
        add(["mean"]) { t, name, a, interp in
            let (dims, keep) = try dimArguments(a, name)
            return .tensor(try dims.map { try t.mean(dims: $0, keepdim: keep) } ?? t.mean())
        }
        add(["prod"]) { t, name, a, interp in
            let (dims, keep) = try dimArguments(a, name)
            guard let dims else { return .tensor(try t.prod()) }
            guard dims.count == 1 else { throw GradError.type("prod() takes one dim") }
            return .tensor(try t.prod(dim: dims[0], keepdim: keep))
        }
        add(["max", "min"]) { t, name, a, interp in
            if let first = a.positional.first, case .tensor(let o) = first {
                try a.expectCount(1)
                return .tensor(name == "max" ? try t.maximum(o) : try t.minimum(o))
            }
            let (dims, keep) = try dimArguments(a, name)
            guard let dims else { return .tensor(name == "max" ? try t.max() : try t.min()) }
            guard dims.count == 1 else { throw GradError.type("\(name)() received an invalid combination of arguments") }
            let r = name == "max" ? try t.max(dim: dims[0], keepdim: keep) : try t.min(dim: dims[0], keepdim: keep)
            return .tuple([.tensor(r.values), .tensor(r.indices)])
        }
        add(["argmax", "argmin"]) { t, name, a, interp in
            let (dims, keep) = try dimArguments(a, name)
            let d = dims?.first
            return .tensor(name == "argmax" ? try t.argmax(dim: d, keepdim: keep) : try t.argmin(dim: d, keepdim: keep))
        }
        add(["all", "any"]) { t, name, a, interp in
            let (dims, keep) = try dimArguments(a, name)
            let asBool = try t.to(.bool)
            let counted = try dims.map { try asBool.sum(dims: $0, keepdim: keep) } ?? asBool.sum()
            if name == "all" {
                // How many elements each result counts (a 0-d tensor's only dim has size 1).
                let n = try dims.map { try $0.reduce(1) { $0 * (t.rank == 0 ? 1 : t.shape[try Shape.normalize(dim: $1, rank: t.rank)]) } } ?? t.numel
                return .tensor(try counted.eq(Tensor.wrapping(.int(Int64(n)))))
            }
            return .tensor(try counted.gt(Tensor.wrapping(.int(0))))
        }
        // Methods of one tensor operand (`other`, optionally scaled by `alpha`), all bound alike.
        let binaryMethods: [(String, (Tensor, Tensor) throws -> Tensor)] = [
            ("add", { try $0.add($1) }), ("sub", { try $0.sub($1) }), ("mul", { try $0.mul($1) }),
            ("div", { try $0.div($1) }), ("floor_divide", { try $0.floorDivide($1) }),
            ("remainder", { try $0.remainder($1) }), ("maximum", { try $0.maximum($1) }),
            ("minimum", { try $0.minimum($1) }), ("eq", { try $0.eq($1) }), ("ne", { try $0.ne($1) }),
            ("lt", { try $0.lt($1) }), ("le", { try $0.le($1) }), ("gt", { try $0.gt($1) }),
            ("ge", { try $0.ge($1) }), ("logical_and", { try $0.logicalAnd($1) }),
            ("logical_or", { try $0.logicalOr($1) }), ("matmul", { try $0.matmul($1) }), ("dot", { try $0.dot($1) }),
            ("add_", { try $0.addInPlace($1) }), ("sub_", { try $0.subInPlace($1) }),
            ("mul_", { try $0.mulInPlace($1) }), ("div_", { try $0.divInPlace($1) })
        ]
        for (method, apply) in binaryMethods {
            add([method]) { t, name, a, interp in .tensor(try apply(t, try other(a, name))) }
        }
        add(["pow"]) { t, name, a, interp in
            return .tensor(try t.pow(try other(a, name, label: "exponent")))
        }
        add(["logical_not"]) { t, name, a, interp in
            return try one(a) { try t.logicalNot() }
        }
        add(["neg"]) { t, name, a, interp in
            return try one(a) { try t.neg() }
        }
        add(["exp"]) { t, name, a, interp in
            return try one(a) { try t.exp() }
        }
        add(["log"]) { t, name, a, interp in
            return try one(a) { try t.log() }
        }
        add(["sqrt"]) { t, name, a, interp in
            return try one(a) { try t.sqrt() }
        }
        add(["abs"]) { t, name, a, interp in
            return try one(a) { try t.abs() }
        }
        add(["sin"]) { t, name, a, interp in
            return try one(a) { try t.sin() }
        }
        add(["cos"]) { t, name, a, interp in
            return try one(a) { try t.cos() }
        }
        add(["tanh"]) { t, name, a, interp in
            return try one(a) { try t.tanh() }
        }
        add(["sigmoid"]) { t, name, a, interp in
            return try one(a) { try t.sigmoid() }
        }
        add(["relu"]) { t, name, a, interp in
            return try one(a) { try t.relu() }
        }
        add(["sign"]) { t, name, a, interp in
            return try one(a) { try t.sign() }
        }
        add(["square"]) { t, name, a, interp in
            return try one(a) { try t.mul(t) }
        }
        add(["clamp", "clip", "clamp_"]) { t, name, a, interp in
            let b = try a.bind(["min", "max"])
            let lo = try Builtins.scalarArg(b[0], "min"), hi = try Builtins.scalarArg(b[1], "max")
            return .tensor(name == "clamp_" ? try t.clampInPlace(min: lo, max: hi) : try t.clamp(min: lo, max: hi))
        }
        add(["mm"]) { t, name, a, interp in
            return .tensor(try t.mm(try other(a, name, label: "mat2")))
        }
        add(["mv"]) { t, name, a, interp in
            return .tensor(try t.mv(try other(a, name, label: "vec")))
        }
        add(["t"]) { t, name, a, interp in
            return try one(a) { try t.t() }
        }
        add(["transpose"]) { t, name, a, interp in
            let b = try a.bind(["dim0", "dim1"], required: 2)
            return .tensor(try t.transpose(try b[0]!.asInt("dim0"), try b[1]!.asInt("dim1")))
        }
        add(["permute"]) { t, name, a, interp in
            return .tensor(try t.permute(try shapeArguments(a)))
        }
        add(["reshape"]) { t, name, a, interp in
            return .tensor(try t.reshape(try shapeArguments(a)))
        }
        add(["view"]) { t, name, a, interp in
            if a.positional.count == 1, case .dtype = a.positional[0] { throw GradError.runtime("view(dtype) is not supported in gradsh") }
            return .tensor(try t.view(try shapeArguments(a)))
        }
        add(["view_as", "reshape_as", "expand_as"]) { t, name, a, interp in
            let o = try other(a, name)
            return .tensor(name == "view_as" ? try t.view(o.shape) : name == "reshape_as" ? try t.reshape(o.shape) : try t.expand(o.shape))
        }
        add(["expand"]) { t, name, a, interp in
            return .tensor(try t.expand(try shapeArguments(a)))
        }
        add(["flatten"]) { t, name, a, interp in
            let b = try a.bind(["start_dim", "end_dim"])
            return .tensor(try t.flatten(startDim: try b[0]?.asInt("start_dim") ?? 0, endDim: try b[1]?.asInt("end_dim") ?? -1))
        }
        add(["squeeze"]) { t, name, a, interp in
            let b = try a.bind(["dim"])
            if let d = b[0], !d.isNone { return .tensor(try t.squeeze(dim: try d.asInt("dim"))) }
            return .tensor(try t.squeeze())
        }
        add(["unsqueeze"]) { t, name, a, interp in
            let b = try a.bind(["dim"], required: 1)
            return .tensor(try t.unsqueeze(try b[0]!.asInt("dim")))
        }
        add(["softmax", "log_softmax"]) { t, name, a, interp in
            let b = try a.bind(["dim", "dtype"])
            guard let d = b[0], !d.isNone else {
                throw GradError.type("\(name)() missing 1 required positional argument: 'dim'")
            }
            let dim = try d.asInt("dim")
            return .tensor(name == "softmax" ? try t.softmax(dim: dim) : try t.logSoftmax(dim: dim))
        }
        add(["pow_"]) { t, name, a, interp in
            return .tensor(try t.powInPlace(try other(a, name, label: "exponent")))
        }
        add(["zero_"]) { t, name, a, interp in
            return try one(a) { try t.zeroInPlace() }
        }
        add(["relu_"]) { t, name, a, interp in
            return try one(a) { try t.reluInPlace() }
        }
        add(["exp_", "neg_", "abs_", "sqrt_", "sigmoid_", "tanh_"]) { t, name, a, interp in
            try a.expectCount(0)
            let base = String(name.dropLast())
            return .tensor(try t.applyInPlace { cur in
                var none = CallArguments([], function: base)
                guard case .tensor(let r) = try callTensorMethod(cur, base, &none, interp) else { return cur }
                return r
            })
        }
        add(["fill_"]) { t, name, a, interp in
            let b = try a.bind(["value"], required: 1)
            if case .tensor(let v) = b[0]! { return .tensor(try t.fillInPlace(v)) }
            guard let s = b[0]!.scalar else { throw GradError.type("fill_() value must be a number") }
            return .tensor(try t.fillInPlace(s))
        }
        add(["copy_"]) { t, name, a, interp in
            let b = try a.bind(["src", "non_blocking"], required: 1)
            return .tensor(try t.copyInPlace(try b[0]!.asTensor("src")))
        }
        add(["uniform_"]) { t, name, a, interp in
            let b = try a.bind(["from", "to"])
            return .tensor(try t.uniformInPlace(try b[0]?.asDouble("from") ?? 0, try b[1]?.asDouble("to") ?? 1))
        }
        add(["normal_"]) { t, name, a, interp in
            let b = try a.bind(["mean", "std"])
            return .tensor(try t.normalInPlace(mean: try b[0]?.asDouble("mean") ?? 0, std: try b[1]?.asDouble("std") ?? 1))
        }
        add(["masked_fill"]) { t, name, a, interp in
            let b = try a.bind(["mask", "value"], required: 2)
            return .tensor(try Tensor.where(try b[0]!.asTensor("mask"), try b[1]!.asTensor("value"), t))
        }
        add(["numpy"]) { t, name, a, interp in
            throw GradError.runtime("gradsh has no NumPy; use .tolist() to see the values")
        }
        add(["is_inference_tensor"]) { t, name, a, interp in
            return .bool(t.isInference)
        }
        return table
    }()

    static func pythonValue(_ s: Scalar) -> Value {
        switch s {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        }
    }

    /// `tolist()`: nested Python lists (a plain number for a 0-d tensor).
    /// `tolist()`: nested Python lists, refused past the longest list gradsh builds (an
    /// expanded tensor can have far more elements than memory).
    static func toList(_ t: Tensor) throws -> Value {
        if Int64(t.numel) > Interpreter.maxSequenceLength {
            throw GradError("MemoryError", "tolist() of \(t.numel) elements is longer than gradsh allows (\(Interpreter.maxSequenceLength))")
        }
        let values = t.scalars().map(pythonValue)
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
        switch name {
        case "parameters", "eval", "train", "zero_grad", "forward", "named_parameters", "children", "modules", "requires_grad_":
            return .boundMethod(receiver: .module(m), name: name)
        case "in_features": if let l = m as? Linear { return .int(Int64(l.inFeatures)) }
        case "out_features": if let l = m as? Linear { return .int(Int64(l.outFeatures)) }
        case "p": if let d = m as? Dropout { return .float(d.p) }
        default: break
        }
        throw GradError.attribute(m.typeName, name)
    }

    static func callModuleMethod(_ m: Module, _ name: String, _ args: inout CallArguments, _ interp: Interpreter) throws -> Value {
        switch name {
        case "parameters":
            _ = try args.bind(["recurse"])
            return .list(ListStorage(m.parameters().map { .tensor($0) }))
        case "named_parameters":
            try args.expectCount(0)
            return .list(ListStorage(namedParameters(m, prefix: "").map { .tuple([.str($0.0), .tensor($0.1)]) }))
        case "children":
            try args.expectCount(0)
            return .list(ListStorage(m.children.map { .module($0) }))
        case "eval":
            try args.expectCount(0)
            m.eval()
            return .module(m)
        case "train":
            let b = try args.bind(["mode"])
            m.train(try b[0]?.asBool("mode") ?? true)
            return .module(m)
        case "zero_grad":
            _ = try args.bind(["set_to_none"])
            m.zeroGrad()
            return .none
        case "requires_grad_":
            let b = try args.bind(["requires_grad"])
            for p in m.parameters() { try p.setRequiresGrad(try b[0]?.asBool("requires_grad") ?? true) }
            return .module(m)
        default:
            return try interp.call(.module(m), args.positional, args.keywords)
        }
    }

    static func namedParameters(_ m: Module, prefix: String) -> [(String, Tensor)] {
        m.ownParameters.map { (prefix + $0.name, $0.tensor) }
            + m.children.enumerated().flatMap { namedParameters($0.element, prefix: "\(prefix)\($0.offset).") }
    }

    // MARK: lists and strings

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
            try interp.forEachItem(of: args.positional[0]) { extra.append($0) }
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
        default: try args.expectCount(0); return .list(ListStorage(l.items))
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
            if Int64(s.utf8.count) + Int64(grow) > Interpreter.maxSequenceLength {
                throw GradError("MemoryError", "the replaced string would be longer than gradsh allows (\(Interpreter.maxSequenceLength))")
            }
            return .str(s.replacingOccurrences(of: old, with: new))
        default:
            // format: positional {} placeholders.
            var out = ""
            var i = 0
            var chars = Array(s)[...]
            while let c = chars.popFirst() {
                if c == "{", chars.first == "}" {
                    chars.removeFirst()
                    guard i < args.positional.count else { throw GradError.index("Replacement index \(i) out of range for positional args tuple") }
                    out += Repr.str(args.positional[i])
                    i += 1
                } else {
                    out.append(c)
                }
            }
            return .str(out)
        }
    }
}
