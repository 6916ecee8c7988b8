/// The layers and optimizers the shell offers, and the methods their objects answer to, as
/// declarative entries like the ops': the language's constructors (`Linear(2, 3)`,
/// `SGD(params, lr=0.1)`), method calls (`model.eval()`, `opt.step()`), completion and
/// `:help` come from here.
package enum ModuleRegistry {

    /// A method of a module or an optimizer: `model.train(mode=True)`.
    package struct Method<Object>: Sendable {
        package let name: String
        package let parameters: [OpParameter]
        package let help: String
        let run: @Sendable (Object, OpArguments) throws -> OpResult

        package func callAsFunction(_ object: Object, _ arguments: OpArguments) throws -> OpResult {
            try run(object, arguments)
        }
    }

    package static let layers: [Factory] = [
        Factory(name: "Linear", parameters: [.required("in_features", .int), .required("out_features", .int),
                                                 .optional("bias", .bool, default: "True")],
                    help: "a layer y = x @ W.T + b, initialised as PyTorch does") { a in
            .module(try Linear(a.int(0, default: 0), a.int(1, default: 0), bias: a.bool(2, default: true)))
        },
        Factory(name: "ReLU", parameters: [.optional("inplace", .bool, default: "False")], help: "the relu layer") { a in
            .module(Activation(.relu, inplace: a.bool(0, default: false)))
        },
        Factory(name: "Sigmoid", parameters: [], help: "the sigmoid layer") { _ in .module(Activation(.sigmoid)) },
        Factory(name: "Tanh", parameters: [], help: "the tanh layer") { _ in .module(Activation(.tanh)) },
        Factory(name: "Dropout", parameters: [.optional("p", .double, default: "0.5"), .optional("inplace", .bool, default: "False")],
                    help: "zeroes elements with probability p while model.training; nothing after model.eval()") { a in
            .module(try Dropout(p: a.double(0) ?? 0.5, inplace: a.bool(1, default: false)))
        },
        Factory(name: "MSELoss", parameters: [.optional("reduction", .string, default: "'mean'")],
                    help: "the mean squared error as a module: loss_fn(input, target)") { a in
            .module(Loss(.mse, reduction: a.string(0) ?? "mean"))
        },
        Factory(name: "CrossEntropyLoss", parameters: [.optional("reduction", .string, default: "'mean'")],
                    help: "cross_entropy as a module: loss_fn(logits, labels)") { a in
            .module(Loss(.crossEntropy, reduction: a.string(0) ?? "mean"))
        },
        Factory(name: "NLLLoss", parameters: [.optional("reduction", .string, default: "'mean'")],
                    help: "nll_loss as a module: loss_fn(log_probabilities, labels)") { a in
            .module(Loss(.nll, reduction: a.string(0) ?? "mean"))
        },
        Factory(name: "Sequential", parameters: [.required("modules", .modules)],
                    help: "applies its layers in order; model[i] is a layer") { a in
            .module(Sequential(a.modules(0)))
        },
    ]

    package static let optimizers: [Factory] = [
        Factory(name: "SGD", parameters: [.required("params", .tensors), .optional("lr", .double, default: "0.001"),
                                              .optional("momentum", .double, default: "0"),
                                              .optional("dampening", .double, default: "0"),
                                              .optional("weight_decay", .double, default: "0")],
                    help: "step() updates parameters in place without recording") { a in
            .optimizer(try SGD(a.tensors(0), lr: a.double(1) ?? 0.001, momentum: a.double(2) ?? 0, weightDecay: a.double(4) ?? 0))
        },
        Factory(name: "Adam", parameters: [.required("params", .tensors), .optional("lr", .double, default: "0.001"),
                                               .optional("betas", .numbers, default: "(0.9, 0.999)"),
                                               .optional("eps", .double, default: "1e-08")],
                    help: "step() updates parameters in place without recording") { a in
            var betas = (0.9, 0.999)
            if let b = a.doubles(2) {
                guard b.count == 2 else { throw TensorError.value("betas must be a pair") }
                betas = (b[0], b[1])
            }
            return .optimizer(try Adam(a.tensors(0), lr: a.double(1) ?? 0.001, betas: betas, eps: a.double(3) ?? 1e-8))
        },
    ]

    package static let moduleMethods: [Method<Module>] = [
        Method(name: "parameters", parameters: [.optional("recurse", .bool, default: "True")],
               help: "every parameter, its children's included, depth first") { m, _ in .tensorList(m.parameters()) },
        Method(name: "named_parameters", parameters: [], help: "(name, parameter) pairs, children's named 0.weight, ...") { m, _ in
            .namedTensors(m.namedParameters(prefix: ""))
        },
        Method(name: "children", parameters: [], help: "the direct sub-modules") { m, _ in .modules(m.children) },
        Method(name: "modules", parameters: [], help: "this module and every module below it, depth first") { m, _ in
            .modules(m.allModules())
        },
        Method(name: "eval", parameters: [], help: "training = False here and below (Dropout stops); not no_grad") { m, _ in
            m.eval()
            return .module(m)
        },
        Method(name: "train", parameters: [.optional("mode", .bool, default: "True")], help: "training = mode here and below") { m, a in
            m.train(a.bool(0, default: true))
            return .module(m)
        },
        Method(name: "zero_grad", parameters: [.optional("set_to_none", .bool, default: "True")],
               help: "every parameter's .grad back to None") { m, _ in
            m.zeroGrad()
            return .nothing
        },
        Method(name: "requires_grad_", parameters: [.optional("requires_grad", .bool, default: "True")],
               help: "sets requires_grad on every parameter") { m, a in
            for p in m.parameters() { try p.setRequiresGrad(a.bool(0, default: true)) }
            return .module(m)
        },
        Method(name: "forward", parameters: [.required("input", .tensor)], help: "the layer applied to input, as model(input)") { m, a in
            .tensor(try m.forward(try a.tensor(0)))
        },
    ]

    package static let optimizerMethods: [Method<Optimizer>] = [
        Method(name: "step", parameters: [], help: "one update of every parameter that has a .grad, in place, unrecorded") { o, _ in
            try o.step()
            return .nothing
        },
        Method(name: "zero_grad", parameters: [.optional("set_to_none", .bool, default: "True")],
               help: "every parameter's .grad back to None") { o, _ in
            o.zeroGrad()
            return .nothing
        },
    ]

    package static let constructorsByName: [String: Factory] = Dictionary(
        uniqueKeysWithValues: (layers + optimizers).map { ($0.name, $0) })
    package static let moduleMethodsByName = Dictionary(uniqueKeysWithValues: moduleMethods.map { ($0.name, $0) })
    package static let optimizerMethodsByName = Dictionary(uniqueKeysWithValues: optimizerMethods.map { ($0.name, $0) })

    /// `:help NAME` for a layer, an optimizer or one of their methods.
    package static func helpText(_ name: String) -> String? {
        if let c = constructorsByName[name] { return "\(c.signature): \(c.help)" }
        var lines: [String] = []
        if let m = moduleMethodsByName[name] {
            lines.append("model.\(name)(" + m.parameters.map(\.signatureText).joined(separator: ", ") + "): \(m.help)")
        }
        if let m = optimizerMethodsByName[name] {
            lines.append("optimizer.\(name)(" + m.parameters.map(\.signatureText).joined(separator: ", ") + "): \(m.help)")
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }
}

extension Module {
    /// `modules()`: this module, then its descendants depth first.
    package func allModules() -> [Module] {
        [self] + children.flatMap { $0.allModules() }
    }

    /// `named_parameters()`: own parameters by name, children's prefixed with their name
    /// (their index in a Sequential).
    package func namedParameters(prefix: String) -> [(String, Tensor)] {
        ownParameters.map { (prefix + $0.name, $0.tensor) }
            + zip(childNames, children).flatMap { $0.1.namedParameters(prefix: "\(prefix)\($0.0).") }
    }
}
