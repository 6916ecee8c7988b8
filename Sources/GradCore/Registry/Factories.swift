/// Something the shell makes from arguments alone, with no tensor to apply to: a tensor
/// factory (`zeros(2, 3)`), a layer (`Linear(2, 3)`) or an optimizer. Declared like an op:
/// the builtin, completion of its keyword arguments and `:help` come from the entry.
package struct Factory: Sendable {
    package let name: String
    package let parameters: [OpParameter]
    package let help: String
    let make: @Sendable (OpArguments) throws -> OpResult

    package init(name: String, parameters: [OpParameter], help: String, make: @escaping @Sendable (OpArguments) throws -> OpResult) {
        self.name = name
        self.parameters = parameters
        self.help = help
        self.make = make
    }

    package func callAsFunction(_ arguments: OpArguments) throws -> OpResult { try make(arguments) }

    /// `zeros(*size, dtype=None, requires_grad=False)`: a `.shape` parameter shows as `*size`.
    package var signature: String {
        "\(name)(" + parameters.map { $0.kind == .shape || $0.kind == .modules ? "*" + $0.name : $0.signatureText }
            .joined(separator: ", ") + ")"
    }
}

extension OpRegistry {
    private static let dtype = OpParameter.optional("dtype", .dtype)
    private static let requiresGrad = OpParameter.optional("requires_grad", .bool, default: "False")
    private static let device = OpParameter.optional("device", .string)

    /// `requires_grad=True` given to a factory: set on the new leaf, with the constructor's message.
    private static func finish(_ t: Tensor, _ requiresGrad: Bool?) throws -> OpResult {
        if requiresGrad == true { try t.setRequiresGrad(true, message: .constructor) }
        return .tensor(t)
    }

    /// A factory of `*size` with dtype, requires_grad and device keywords.
    private static func sized(_ name: String, help: String,
                              _ make: @escaping @Sendable ([Int], DType?) throws -> Tensor) -> Factory {
        Factory(name: name, parameters: [.required("size", .shape), dtype, requiresGrad, device], help: help) { a in
            try finish(try make(a.shape ?? [], a.dtype(1)), a.bool(2))
        }
    }

    /// `NAME_like(input, dtype=None, requires_grad=False)`: `input`'s shape, `input`'s dtype by default.
    private static func like(_ name: String, help: String,
                             _ make: @escaping @Sendable ([Int], DType) throws -> Tensor) -> Factory {
        Factory(name: name, parameters: [.required("input", .tensor), dtype, requiresGrad], help: help) { a in
            let x = try a.tensor(0)
            return try finish(try make(x.shape, a.dtype(1) ?? x.dtype), a.bool(2))
        }
    }

    /// PyTorch's error for a random factory asked for a dtype it cannot fill.
    private static func randomFloat(_ dtype: DType?, kernel: String) throws {
        if let dtype, dtype != .float32 {
            throw TensorError.runtime("\"\(kernel)\" not implemented for '\(dtype.scalarTypeName)'")
        }
    }

    package static let factories: [Factory] = [
        sized("zeros", help: "a tensor of zeros (float32 unless dtype says otherwise)") { try Tensor.full($0, .int(0), dtype: $1 ?? .float32) },
        sized("ones", help: "a tensor of ones (float32 unless dtype says otherwise)") { try Tensor.full($0, .int(1), dtype: $1 ?? .float32) },
        sized("rand", help: "uniform random numbers in [0, 1) from the seeded generator") { shape, dtype in
            try randomFloat(dtype, kernel: "check_uniform_bounds")
            return try Tensor.rand(shape)
        },
        sized("randn", help: "standard normal random numbers from the seeded generator") { shape, dtype in
            try randomFloat(dtype, kernel: "normal_kernel_cpu")
            return try Tensor.randn(shape)
        },
        Factory(name: "full", parameters: [.required("size", .dims), .required("fill_value", .scalar), dtype, requiresGrad, device],
                help: "a tensor filled with one value") { a in
            guard let value = a.scalar(1) else { throw TensorError.type("full() needs a fill_value") }
            return try finish(try Tensor.full(a.dims(0) ?? [], value, dtype: a.dtype(2)), a.bool(3))
        },
        Factory(name: "eye", parameters: [.required("n", .int), .optional("m", .int), dtype, requiresGrad],
                help: "the identity matrix, n x m") { a in
            try finish(try Tensor.eye(a.int(0, default: 0), a.int(1), dtype: a.dtype(2) ?? .float32), a.bool(3))
        },
        Factory(name: "arange", parameters: [.required("start", .scalar), .optional("end", .scalar), .optional("step", .scalar, default: "1"),
                                             dtype, requiresGrad],
                help: "evenly spaced values in [start, end); arange(end) starts at 0") { a in
            guard let first = a.scalar(0) else { throw TensorError.type("arange() needs an end") }
            let (start, end) = a.scalar(1).map { (first, $0) } ?? (.int(0), first)
            return try finish(try Tensor.arange(start, end, a.scalar(2) ?? .int(1), dtype: a.dtype(3)), a.bool(4))
        },
        Factory(name: "linspace", parameters: [.required("start", .double), .required("end", .double), .required("steps", .int),
                                               dtype, requiresGrad],
                help: "steps values from start to end inclusive") { a in
            let t = try Tensor.linspace(a.double(0) ?? 0, a.double(1) ?? 0, steps: a.int(2, default: 0))
            return try finish(try t.to(a.dtype(3) ?? .float32), a.bool(4))
        },
        like("zeros_like", help: "zeros with input's shape") { try Tensor.zeros($0, dtype: $1) },
        like("ones_like", help: "ones with input's shape") { try Tensor.ones($0, dtype: $1) },
        like("empty_like", help: "a tensor with input's shape (gradsh fills it with zeros)") { try Tensor.zeros($0, dtype: $1) },
        like("rand_like", help: "uniform random numbers with input's shape") { try Tensor.rand($0).to($1) },
        like("randn_like", help: "normal random numbers with input's shape") { try Tensor.randn($0).to($1) },
        Factory(name: "full_like", parameters: [.required("input", .tensor), .required("fill_value", .scalar), dtype, requiresGrad],
                help: "input's shape filled with one value") { a in
            let x = try a.tensor(0)
            guard let fill = a.scalar(1) else {
                throw TensorError.type("full_like(): argument 'fill_value' (position 2) must be Number, not NoneType")
            }
            return try finish(try Tensor.full(x.shape, fill, dtype: a.dtype(2) ?? x.dtype), a.bool(3))
        },
        Factory(name: "randperm", parameters: [.required("n", .int)], help: "a random permutation of 0..n-1") { a in
            .tensor(try Tensor.randperm(a.int(0, default: 0)))
        },
        Factory(name: "manual_seed", parameters: [.required("seed", .int)],
                help: "reseeds the generator behind rand, randn, randint, shuffling and dropout") { a in
            DefaultGenerator.seed(Int64(a.int(0, default: 0)))
            return .nothing
        },
        Factory(name: "initial_seed", parameters: [], help: "the seed the generator was last seeded with") { _ in
            .int(Int(truncatingIfNeeded: DefaultGenerator.shared.seed))
        },
    ]

    package static let factoriesByName = Dictionary(uniqueKeysWithValues: (factories + functions).map { ($0.name, $0) })
}

extension OpRegistry {
    /// Functions of several tensors, called as `torch.cat(...)`, `F.mse_loss(...)`, ...
    package static let functions: [Factory] = {
        let reduction = OpParameter.optional("reduction", .string, default: "'mean'")
        func loss(_ name: String, help: String, _ f: @escaping @Sendable (Tensor, Tensor, String) throws -> Tensor) -> Factory {
            Factory(name: name, parameters: [.required("input", .tensor), .required("target", .tensor), reduction], help: help) { a in
                .tensor(try f(try a.tensor(0), try a.tensor(1), a.string(2) ?? "mean"))
            }
        }
        let joined = { (name: String, help: String, f: @escaping @Sendable ([Tensor], Int) throws -> Tensor) in
            Factory(name: name, parameters: [.required("tensors", .tensors), .optional("dim", .int, default: "0")], help: help) { a in
                .tensor(try f(a.tensors(0), a.int(1, default: 0)))
            }
        }
        return [
            Factory(name: "where", parameters: [.required("condition", .tensor), .required("input", .tensor), .required("other", .tensor)],
                    help: "input where condition is True, other elsewhere (WhereBackward0)") { a in
                .tensor(try Tensor.where(try a.tensor(0), try a.tensor(1), try a.tensor(2)))
            },
            joined("cat", "joins tensors along an existing dim (CatBackward0)") { try Tensor.cat($0, dim: $1) },
            joined("concat", "the same as cat") { try Tensor.cat($0, dim: $1) },
            joined("stack", "joins equal-shaped tensors along a new dim (StackBackward0)") { try Tensor.stack($0, dim: $1) },
            Factory(name: "linear", parameters: [.required("input", .tensor), .required("weight", .tensor), .optional("bias", .tensor)],
                    help: "input @ weight.T + bias") { a in
                .tensor(try Tensor.linear(try a.tensor(0), weight: try a.tensor(1), bias: try a.optionalTensor(2)))
            },
            loss("mse_loss", help: "mean squared error") { input, target, reduction in
                if input.shape != target.shape { _ = try Shape.broadcast(input.shape, target.shape) }
                return try Tensor.mseLoss(input, target, reduction: reduction)
            },
            loss("cross_entropy", help: "nll_loss(log_softmax(logits, 1), labels)") { try Tensor.crossEntropy($0, $1, reduction: $2) },
            loss("nll_loss", help: "negative log likelihood of log-probabilities") { try Tensor.nllLoss($0, $1, reduction: $2) },
            Factory(name: "dropout", parameters: [.required("input", .tensor), .optional("p", .double, default: "0.5"),
                                                  .optional("training", .bool, default: "True"), .optional("inplace", .bool, default: "False")],
                    help: "zeroes elements with probability p and scales the rest by 1/(1-p), when training") { a in
                .tensor(try Tensor.dropout(try a.tensor(0), p: a.double(1) ?? 0.5, training: a.bool(2, default: true),
                                           inplace: a.bool(3, default: false)))
            },
        ]
    }()
}
