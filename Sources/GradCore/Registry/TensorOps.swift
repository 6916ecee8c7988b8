/// The registry's entries for ops whose kernels and backward rules live beside the Tensor
/// method they share with the rest of the core (broadcasting arithmetic, reductions, views,
/// matrix products): each entry here declares how the shell reaches the op.
extension Op {
    private static let other = OpParameter.required("other", .tensor)
    private static let dim = OpParameter.optional("dim", .dims)
    private static let keepdim = OpParameter.optional("keepdim", .bool, default: "False")
    private static let dtype = OpParameter.optional("dtype", .dtype)

    /// `x.name(other)` for an op of two tensors with broadcasting.
    private static func binary(_ name: String, node: String?, saves: Saved = .nothing, help: String,
                               dtypeRule: DTypeRule = .promoted, domain: Domain = .real, alpha: Bool = false,
                               inPlace: (@Sendable (Tensor, Tensor, Scalar?) throws -> Tensor)? = nil,
                               _ apply: @escaping @Sendable (Tensor, Tensor) throws -> Tensor) -> Op {
        Op(name, parameters: alpha ? [other, .optional("alpha", .scalar)] : [other], help: help, node: node, saves: saves,
           dtypeRule: dtypeRule, domain: domain, example: [.other],
           inPlace: inPlace.map { f in { @Sendable x, a in try f(x, try a.tensor(0), a.scalar(1)) } },
           run: { x, a in
               var o = try a.tensor(0)
               if let s = a.scalar(1) { o = try o.mul(Tensor.wrapping(s)) }
               return .tensor(try apply(x, o))
           })
    }

    /// `x.name(dim=None, keepdim=False)`: a reduction over all elements or along dims.
    private static func reduction(_ name: String, node: String?, help: String, dtypeRule: DTypeRule = .sameAsInput,
                                  domain: Domain = .real, _ apply: @escaping @Sendable (Tensor, [Int]?, Bool) throws -> OpResult) -> Op {
        Op(name, parameters: [dim, keepdim, dtype], help: help, node: node, dtypeRule: dtypeRule, domain: domain,
           run: { x, a in try apply(x, a.dims(0), a.bool(1, default: false)) })
    }

    /// The number of elements a reduction over `dims` counts per result.
    private static func countReduced(_ x: Tensor, _ dims: [Int]) throws -> Int {
        try dims.reduce(1) { n, d in n * (x.rank == 0 ? 1 : x.shape[try Shape.normalize(dim: d, rank: x.rank)]) }
    }

    static let tensorOps: [Op] = [
        // MARK: arithmetic
        binary("add", node: "AddBackward0", help: "a + b (other scaled by alpha when given)", alpha: true,
               inPlace: { x, o, alpha in try x.addInPlace(o, alpha: alpha) }) { try $0.add($1) },
        binary("sub", node: "SubBackward0", help: "a - b (other scaled by alpha when given)", alpha: true,
               inPlace: { x, o, alpha in try x.subInPlace(o, alpha: alpha) }) { try $0.sub($1) },
        binary("mul", node: "MulBackward0", saves: .inputs, help: "a * b",
               inPlace: { x, o, _ in try x.mulInPlace(o) }) { try $0.mul($1) },
        binary("div", node: "DivBackward0", saves: .inputs, help: "a / b (true division)", dtypeRule: .floatResult,
               inPlace: { x, o, _ in try x.divInPlace(o) }) { try $0.div($1) },
        binary("floor_divide", node: "NotImplemented", help: "a // b, rounded toward negative infinity; not differentiable",
               domain: .none) { try $0.floorDivide($1) },
        binary("remainder", node: "RemainderBackward1", help: "a % b with the sign of b", domain: .none) { try $0.remainder($1) },
        Op("pow", parameters: [.required("exponent", .tensor)], help: "x ** exponent", node: "PowBackward0", saves: .input,
           dtypeRule: .promoted, domain: .positive, example: [.int(2)],
           inPlace: { x, a in try x.powInPlace(try a.tensor(0)) },
           run: { x, a in .tensor(try x.pow(try a.tensor(0))) }),
        Op("square", help: "x * x", node: "PowBackward0", saves: .input, dtypeRule: .sameAsInput,
           run: { x, _ in .tensor(try x.pow(Tensor.wrapping(.int(2)))) }),
        binary("maximum", node: "MaximumBackward0", saves: .inputs, help: "the larger of a and b elementwise") { try $0.maximum($1) },
        binary("minimum", node: "MinimumBackward0", saves: .inputs, help: "the smaller of a and b elementwise") { try $0.minimum($1) },
        Op("clamp", aliases: ["clip"], parameters: [.optional("min", .scalar), .optional("max", .scalar)],
           help: "limits values to [min, max]; gradient passes where min <= x <= max", node: "ClampBackward1", saves: .input,
           dtypeRule: .promoted, example: [.number(-1.6), .number(0.1)],
           inPlace: { x, a in try x.clampInPlace(min: a.scalar(0), max: a.scalar(1)) },
           run: { x, a in .tensor(try x.clamp(min: a.scalar(0), max: a.scalar(1))) }),

        // MARK: comparisons and logic
        binary("eq", node: nil, help: "a == b elementwise", dtypeRule: .boolResult, domain: .none) { try $0.eq($1) },
        binary("ne", node: nil, help: "a != b elementwise", dtypeRule: .boolResult, domain: .none) { try $0.ne($1) },
        binary("lt", node: nil, help: "a < b elementwise", dtypeRule: .boolResult, domain: .none) { try $0.lt($1) },
        binary("le", node: nil, help: "a <= b elementwise", dtypeRule: .boolResult, domain: .none) { try $0.le($1) },
        binary("gt", node: nil, help: "a > b elementwise", dtypeRule: .boolResult, domain: .none) { try $0.gt($1) },
        binary("ge", node: nil, help: "a >= b elementwise", dtypeRule: .boolResult, domain: .none) { try $0.ge($1) },
        binary("logical_and", node: nil, help: "elementwise and", dtypeRule: .boolResult, domain: .none) { try $0.logicalAnd($1) },
        binary("logical_or", node: nil, help: "elementwise or", dtypeRule: .boolResult, domain: .none) { try $0.logicalOr($1) },
        Op("logical_not", help: "elementwise not", node: nil, dtypeRule: .boolResult, domain: .none,
           run: { x, _ in .tensor(try x.logicalNot()) }),
        Op("masked_fill", forms: .method, parameters: [.required("mask", .tensor), .required("value", .tensor)],
           help: "value where mask is True, x elsewhere", node: "MaskedFillBackward0", dtypeRule: .sameAsInput,
           example: [.mask, .number(0.0)],
           run: { x, a in .tensor(try x.maskedFill(try a.tensor(0), try a.tensor(1))) }),

        // MARK: reductions
        reduction("sum", node: "SumBackward0", help: "sum of all elements, or along dim") { x, dims, keep in
            .tensor(try dims.map { try x.sum(dims: $0, keepdim: keep) } ?? x.sum())
        },
        reduction("mean", node: "MeanBackward0", help: "mean of a float tensor, or along dim", dtypeRule: .other) { x, dims, keep in
            .tensor(try dims.map { try x.mean(dims: $0, keepdim: keep) } ?? x.mean())
        },
        reduction("prod", node: "ProdBackward0", help: "product of all elements, or along one dim") { x, dims, keep in
            guard let dims else { return .tensor(try x.prod()) }
            guard dims.count == 1 else { throw TensorError.type("prod() takes one dim") }
            return .tensor(try x.prod(dim: dims[0], keepdim: keep))
        },
        Op("norm", parameters: [.optional("p", .double, default: "2"), dim, keepdim],
           help: "the p-norm (2 by default) of all elements, or along dim", node: "LinalgVectorNormBackward0", dtypeRule: .sameAsInput,
           run: { x, a in .tensor(try x.norm(p: a.double(0) ?? 2, dims: a.dims(1), keepdim: a.bool(2, default: false))) }),
        Op("max", parameters: [.optional("dim", .tensorOrDim), keepdim],
           help: "max(x) | max(x, dim, keepdim=False) -> (values, indices) | max(x, other) elementwise",
           node: "MaxBackward1", dtypeRule: .sameAsInput,
           run: { x, a in try Op.extremum(x, a, isMax: true) }),
        Op("min", parameters: [.optional("dim", .tensorOrDim), keepdim],
           help: "min(x) | min(x, dim, keepdim=False) -> (values, indices) | min(x, other) elementwise",
           node: "MinBackward1", dtypeRule: .sameAsInput,
           run: { x, a in try Op.extremum(x, a, isMax: false) }),
        Op("argmax", parameters: [.optional("dim", .int), keepdim], help: "index of the largest value (along dim)",
           node: nil, dtypeRule: .indexResult, domain: .none,
           run: { x, a in .tensor(try x.argmax(dim: a.int(0), keepdim: a.bool(1, default: false))) }),
        Op("argmin", parameters: [.optional("dim", .int), keepdim], help: "index of the smallest value (along dim)",
           node: nil, dtypeRule: .indexResult, domain: .none,
           run: { x, a in .tensor(try x.argmin(dim: a.int(0), keepdim: a.bool(1, default: false))) }),
        reduction("all", node: nil, help: "whether every element is true (along dim)", dtypeRule: .boolResult, domain: .none) { x, dims, keep in
            let asBool = try x.to(.bool)
            let counted = try dims.map { try asBool.sum(dims: $0, keepdim: keep) } ?? asBool.sum()
            let n = try dims.map { try Op.countReduced(x, $0) } ?? x.numel
            return .tensor(try counted.eq(Tensor.wrapping(.int(Int64(n)))))
        },
        reduction("any", node: nil, help: "whether some element is true (along dim)", dtypeRule: .boolResult, domain: .none) { x, dims, keep in
            let asBool = try x.to(.bool)
            let counted = try dims.map { try asBool.sum(dims: $0, keepdim: keep) } ?? asBool.sum()
            return .tensor(try counted.gt(Tensor.wrapping(.int(0))))
        },
        Op("softmax", parameters: [.required("dim", .int), dtype], help: "exp(x) normalised along dim",
           node: "SoftmaxBackward0", saves: .output, dtypeRule: .floatResult, example: [.int(1)],
           run: { x, a in .tensor(try x.softmax(dim: a.int(0, default: -1))) }),
        Op("log_softmax", parameters: [.required("dim", .int), dtype], help: "log of softmax, computed stably",
           node: "LogSoftmaxBackward0", saves: .output, dtypeRule: .floatResult, example: [.int(1)],
           run: { x, a in .tensor(try x.logSoftmax(dim: a.int(0, default: -1))) }),

        // MARK: matrix products
        Op("matmul", parameters: [other], help: "matrix product, also a @ b (1-D, 2-D and batched)", node: "MmBackward0",
           saves: .inputs, dtypeRule: .promoted, example: [.otherTransposed],
           run: { x, a in .tensor(try x.matmul(try a.tensor(0))) }),
        Op("mm", parameters: [.required("mat2", .tensor)], help: "product of two matrices", node: "MmBackward0",
           saves: .inputs, dtypeRule: .promoted, example: [.otherTransposed],
           run: { x, a in .tensor(try x.mm(try a.tensor(0))) }),
        Op("mv", parameters: [.required("vec", .tensor)], help: "matrix times vector", node: "MvBackward0",
           saves: .inputs, dtypeRule: .promoted, example: [.otherRow],
           run: { x, a in .tensor(try x.mv(try a.tensor(0))) }),
        Op("dot", parameters: [.required("other", .tensor)], help: "dot product of two vectors", node: "DotBackward0",
           saves: .inputs, dtypeRule: .promoted, example: [.other], exampleShape: [3],
           run: { x, a in .tensor(try x.dot(try a.tensor(0))) }),

        // MARK: views and shapes
        Op("t", help: "transpose of a tensor of at most 2 dimensions (a view)", node: "TBackward0", dtypeRule: .sameAsInput,
           run: { x, _ in .tensor(try x.t()) }),
        Op("transpose", parameters: [.required("dim0", .int), .required("dim1", .int)], help: "swaps two dims (a view)",
           node: "TransposeBackward0", dtypeRule: .sameAsInput, example: [.int(0), .int(1)],
           run: { x, a in .tensor(try x.transpose(a.int(0, default: 0), a.int(1, default: 0))) }),
        Op("transpose_", forms: .method, parameters: [.required("dim0", .int), .required("dim1", .int)],
           help: "swaps two dims of x itself", node: "TransposeBackward1", dtypeRule: .sameAsInput, domain: .none, example: [.int(0), .int(1)],
           run: { x, a in .tensor(try x.transposeInPlace(a.int(0, default: 0), a.int(1, default: 0))) }),
        Op("t_", forms: .method, help: "transposes x itself (at most 2 dimensions)", node: "TBackward1",
           dtypeRule: .sameAsInput, domain: .none,
           run: { x, _ in
               guard x.rank <= 2 else {
                   throw TensorError.runtime("t_() expects a tensor with <= 2 dimensions, but self is \(x.rank)D")
               }
               return .tensor(x.rank < 2 ? x : try x.transposeInPlace(0, 1, nodeName: "TBackward1"))
           }),
        Op("permute", parameters: [.required("dims", .shape)], help: "reorders dims (a view)", node: "PermuteBackward0",
           dtypeRule: .sameAsInput, example: [.sizes([1, 0])],
           run: { x, a in .tensor(try x.permute(a.shape ?? [])) }),
        Op("reshape", parameters: [.required("shape", .shape)], help: "a view when possible, otherwise a copy",
           node: "ViewBackward0", dtypeRule: .sameAsInput, example: [.sizes([-1])],
           run: { x, a in .tensor(try x.reshape(a.shape ?? [])) }),
        Op("view", parameters: [.required("shape", .shape)],
           help: "a view with a new shape; fails on incompatible strides (use reshape)", node: "ViewBackward0",
           dtypeRule: .sameAsInput, example: [.sizes([-1])],
           run: { x, a in .tensor(try x.view(a.shape ?? [])) }),
        Op("view_as", forms: .method, parameters: [other], help: "view(other.shape)", node: "ViewBackward0",
           dtypeRule: .sameAsInput, example: [.other],
           run: { x, a in .tensor(try x.view(try a.tensor(0).shape)) }),
        Op("reshape_as", forms: .method, parameters: [other], help: "reshape(other.shape)", node: "ViewBackward0",
           dtypeRule: .sameAsInput, example: [.other],
           run: { x, a in .tensor(try x.reshape(try a.tensor(0).shape)) }),
        Op("expand", parameters: [.required("size", .shape)], help: "broadcasts without copying (stride 0)",
           node: "ExpandBackward0", dtypeRule: .sameAsInput, example: [.sizes([2, -1])],
           run: { x, a in .tensor(try x.expand(a.shape ?? [])) }),
        Op("expand_as", forms: .method, parameters: [other], help: "expand(other.shape)", node: "ExpandBackward0",
           dtypeRule: .sameAsInput, example: [.other],
           run: { x, a in .tensor(try x.expand(try a.tensor(0).shape)) }),
        Op("flatten", parameters: [.optional("start_dim", .int, default: "0"), .optional("end_dim", .int, default: "-1")],
           help: "collapses dims into one", node: "ViewBackward0", dtypeRule: .sameAsInput,
           run: { x, a in .tensor(try x.flatten(startDim: a.int(0, default: 0), endDim: a.int(1, default: -1))) }),
        Op("squeeze", parameters: [.optional("dim", .int)], help: "drops size-1 dims (or only dim)", node: "SqueezeBackward0",
           dtypeRule: .sameAsInput,
           run: { x, a in .tensor(try a.int(0).map { try x.squeeze(dim: $0) } ?? x.squeeze()) }),
        Op("unsqueeze", parameters: [.required("dim", .int)], help: "inserts a size-1 dim", node: "UnsqueezeBackward0",
           dtypeRule: .sameAsInput, example: [.int(0)],
           run: { x, a in .tensor(try x.unsqueeze(a.int(0, default: 0))) }),
        Op("narrow", parameters: [.required("dim", .int), .required("start", .int), .required("length", .int)],
           help: "length entries from start along dim (a view)", node: "SliceBackward0", dtypeRule: .sameAsInput,
           example: [.int(0), .int(0), .int(1)],
           run: { x, a in .tensor(try x.narrow(dim: a.int(0, default: 0), start: a.int(1, default: 0), length: a.int(2, default: 0))) }),
        Op("select", parameters: [.required("dim", .int), .required("index", .int)],
           help: "the entry at index along dim, dim removed (a view)", node: "SelectBackward0", dtypeRule: .sameAsInput,
           example: [.int(0), .int(0)],
           run: { x, a in .tensor(try x.select(dim: a.int(0, default: 0), index: a.int(1, default: 0))) }),
        Op("contiguous", forms: .method, help: "x itself if contiguous, otherwise a copy (CloneBackward0)", node: "CloneBackward0",
           dtypeRule: .sameAsInput, run: { x, _ in .tensor(try x.contiguous()) }),
        Op("clone", help: "a copy with its own memory; outside inference mode a normal tensor", node: "CloneBackward0",
           dtypeRule: .sameAsInput, run: { x, _ in .tensor(try x.clone()) }),

        // MARK: in-place fills
        Op("zero_", help: "fills with zeros in place (x.grad.zero_() resets a gradient)", node: "ZeroBackward0",
           dtypeRule: .sameAsInput, domain: .none, run: { x, _ in .tensor(try x.zeroInPlace()) }),
        Op("fill_", forms: .method, parameters: [.required("value", .tensorOrScalar)], help: "fills with one value in place",
           node: "FillBackward2", dtypeRule: .sameAsInput, domain: .none, example: [.number(1.0)],
           run: { x, a in
               if let s = a.scalar(0) { return .tensor(try x.fillInPlace(s)) }
               return .tensor(try x.fillInPlace(try a.tensor(0)))
           }),
        Op("copy_", forms: .method, parameters: [.required("src", .tensor), .optional("non_blocking", .bool, default: "False")],
           help: "copies src's values in (broadcast, converted)", node: "CopyBackwards", dtypeRule: .sameAsInput,
           domain: .none, example: [.other],
           run: { x, a in .tensor(try x.copyInPlace(try a.tensor(0))) }),
        Op("uniform_", forms: .method, parameters: [.optional("from", .double, default: "0"), .optional("to", .double, default: "1")],
           help: "fills with uniform random numbers in place", node: nil, dtypeRule: .sameAsInput, domain: .none,
           run: { x, a in .tensor(try x.uniformInPlace(a.double(0) ?? 0, a.double(1) ?? 1)) }),
        Op("normal_", forms: .method, parameters: [.optional("mean", .double, default: "0"), .optional("std", .double, default: "1")],
           help: "fills with normal random numbers in place", node: nil, dtypeRule: .sameAsInput, domain: .none,
           run: { x, a in .tensor(try x.normalInPlace(mean: a.double(0) ?? 0, std: a.double(1) ?? 1)) }),

        // MARK: autograd
        Op("backward", forms: .method,
           parameters: [.optional("gradient", .tensor), .optional("retain_graph", .bool), .optional("create_graph", .bool, default: "False")],
           help: "gradients of x into the .grad of every leaf that requires grad; x must be a scalar unless gradient is given",
           node: nil, dtypeRule: .other, domain: .none, exampleShape: [],
           run: { x, a in
               try x.backward(gradient: try a.optionalTensor(0), retainGraph: a.bool(1), createGraph: a.bool(2, default: false))
               return .nothing
           }),
        Op("retain_grad", forms: .method, help: "keep this non-leaf's gradient in .grad during backward", node: nil,
           dtypeRule: .other, domain: .none, run: { x, _ in try x.retainGrad(); return .nothing }),
        Op("requires_grad_", forms: .method, parameters: [.optional("requires_grad", .bool, default: "True")],
           help: "sets requires_grad on a leaf, returns x", node: nil, dtypeRule: .other, domain: .none,
           run: { x, a in
               try x.setRequiresGrad(a.bool(0, default: true), message: .method)
               return .tensor(x)
           }),
        Op("detach", help: "the same memory without graph; see :help detach", node: nil, dtypeRule: .sameAsInput, domain: .none,
           run: { x, _ in .tensor(try x.detach()) }),
        Op("detach_", forms: .method, help: "detaches x itself from its graph", node: nil, dtypeRule: .sameAsInput, domain: .none,
           run: { x, _ in .tensor(try x.detachInPlace()) }),
        Op("is_inference", help: "whether x is an inference tensor", node: nil, dtypeRule: .other, domain: .none,
           run: { x, _ in .bool(x.isInference) }),
        Op("is_contiguous", forms: .method, help: "whether x's elements are laid out in row-major order", node: nil,
           dtypeRule: .other, domain: .none, run: { x, _ in .bool(x.isContiguous) }),
        Op("_is_view", forms: .method, help: "whether x is a view of another tensor", node: nil, dtypeRule: .other, domain: .none,
           run: { x, _ in .bool(x.viewBase != nil) }),

        // MARK: conversions and sizes
        Op("item", forms: .method, help: "the single element as a Python number", node: nil, dtypeRule: .other, domain: .none,
           exampleShape: [],
           run: { x, _ in
               guard x.numel == 1 else { throw TensorError.runtime("a Tensor with \(x.numel) elements cannot be converted to Scalar") }
               return .scalar(try x.item())
           }),
        Op("numel", help: "number of elements", node: nil, dtypeRule: .other, domain: .none, run: { x, _ in .int(x.numel) }),
        Op("dim", forms: .method, help: "number of dimensions", node: nil, dtypeRule: .other, domain: .none,
           run: { x, _ in .int(x.rank) }),
        Op("size", forms: .method, parameters: [.optional("dim", .int)], help: "the shape, or one dim's size", node: nil,
           dtypeRule: .other, domain: .none,
           run: { x, a in
               guard let d = a.int(0) else { return .ints(x.shape) }
               guard x.rank > 0 else { throw TensorError.index("Dimension specified as \(d) but tensor has no dimensions") }
               return .int(x.shape[try Shape.normalize(dim: d, rank: x.rank)])
           }),
        Op("to", aliases: ["type"], forms: .method, parameters: [.required("dtype", .dtype)],
           help: "a copy converted to dtype (x itself when it already has it)", node: nil, dtypeRule: .other, domain: .none,
           example: [.dtype(.float32)],
           run: { x, a in .tensor(try x.to(a.dtype(0) ?? x.dtype)) }),
        Op("float", forms: .method, help: "x as float32", node: nil, dtypeRule: .other, domain: .none,
           run: { x, _ in .tensor(try x.to(.float32)) }),
        Op("long", aliases: ["int"], forms: .method, help: "x as int64", node: nil, dtypeRule: .other, domain: .none,
           run: { x, _ in .tensor(try x.to(.int64)) }),
        Op("bool", forms: .method, help: "x as bool", node: nil, dtypeRule: .other, domain: .none,
           run: { x, _ in .tensor(try x.to(.bool)) }),
    ]

    /// `max`/`min`: of everything, along a dim (values and indices), or elementwise.
    private static func extremum(_ x: Tensor, _ a: OpArguments, isMax: Bool) throws -> OpResult {
        if let other = try? a.tensor(0) {
            if a.isGiven(1) { throw TensorError.type("\(isMax ? "max" : "min")() received an invalid combination of arguments") }
            return .tensor(isMax ? try x.maximum(other) : try x.minimum(other))
        }
        guard let d = a.int(0) else { return .tensor(isMax ? try x.max() : try x.min()) }
        let keep = a.bool(1, default: false)
        let r = isMax ? try x.max(dim: d, keepdim: keep) : try x.min(dim: d, keepdim: keep)
        return .tensors([r.values, r.indices])
    }
}
