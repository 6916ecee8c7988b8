import Foundation

/// A neural-network layer, as `torch.nn.Module`: parameters, a training flag, `forward`.
package class Module {
    /// `model.training`: Dropout looks at it; `eval()` and `train()` set it recursively.
    package internal(set) var training = true

    /// Direct sub-modules, in order.
    package var children: [Module] { [] }

    /// The names of `children` in reprs and `named_parameters()`: their positions, or the
    /// attribute names a subclass gave them.
    package var childNames: [String] { children.indices.map(String.init) }

    /// This module's own parameters (not its children's).
    package var ownParameters: [(name: String, tensor: Tensor)] { [] }

    /// PyTorch's class name, shown in reprs and errors.
    package var typeName: String { "Module" }

    /// What appears between the parentheses of the repr: `in_features=2, ...`.
    package var extraRepr: String { "" }

    package func forward(_ input: Tensor) throws -> Tensor { input }

    /// All parameters, children's included, depth first.
    package func parameters() -> [Tensor] {
        ownParameters.map(\.tensor) + children.flatMap { $0.parameters() }
    }

    package func train(_ mode: Bool = true) {
        let was = training
        StatementJournal.willChange(self) { self.training = was }
        training = mode
        for c in children { c.train(mode) }
    }

    package func eval() { train(false) }

    /// `model.zero_grad()`: gradients back to None, as PyTorch's default does.
    package func zeroGrad() {
        for p in parameters() { p.grad = nil }
    }

    /// PyTorch's module repr, children indented on their own lines.
    package var repr: String {
        if children.isEmpty { return "\(typeName)(\(extraRepr))" }
        var lines = ["\(typeName)("]
        for (name, c) in zip(childNames, children) {
            let inner = c.repr.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().map { $0.offset == 0 ? String($0.element) : "  " + $0.element }
                .joined(separator: "\n")
            lines.append("  (\(name)): \(inner)")
        }
        lines.append(")")
        return lines.joined(separator: "\n")
    }
}

/// `Linear(in, out)`: `y = x @ W.T + b`, initialised as PyTorch does (uniform in
/// ±1/sqrt(in) for both, written in place, so both start at version 1).
package final class Linear: Module {
    package let inFeatures: Int
    package let outFeatures: Int
    package let weight: Tensor
    package let bias: Tensor?

    package init(_ inFeatures: Int, _ outFeatures: Int, bias hasBias: Bool = true) throws {
        guard inFeatures >= 0 && outFeatures >= 0 else {
            throw TensorError.runtime("Trying to create tensor with negative dimension \(Swift.min(inFeatures, outFeatures)): [\(outFeatures), \(inFeatures)]")
        }
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = try Tensor.zeros([outFeatures, inFeatures])
        bias = hasBias ? try Tensor.zeros([outFeatures]) : nil
        super.init()
        // PyTorch's reset_parameters: kaiming_uniform_(weight, a=sqrt(5)), whose bound is
        // sqrt(3) * gain / sqrt(fan_in) computed in doubles as Python does, then the bias
        // uniform in ±1/sqrt(fan_in); weight drawn first.
        let fanIn = Double(inFeatures)
        let gain = (2.0 / (1 + 5.0.squareRoot() * 5.0.squareRoot())).squareRoot()
        let weightBound = inFeatures > 0 ? 3.0.squareRoot() * (gain / fanIn.squareRoot()) : 0
        let biasBound = inFeatures > 0 ? 1 / fanIn.squareRoot() : 0
        for (p, bound) in [(weight, weightBound)] + (bias.map { [($0, biasBound)] } ?? []) {
            try GradModeState.withGradMode(.noGrad) { _ = try p.uniformInPlace(-bound, bound) }
            try p.setRequiresGrad(true)
            p.isParameter = true
        }
    }

    override package var typeName: String { "Linear" }
    override package var extraRepr: String { "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias != nil ? "True" : "False")" }
    override package var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    override package func forward(_ input: Tensor) throws -> Tensor {
        guard input.shape.last == inFeatures else {
            let rows = input.rank <= 1 ? 1 : input.shape.dropLast().reduce(1, *)
            throw TensorError.runtime("mat1 and mat2 shapes cannot be multiplied (\(rows)x\(input.shape.last ?? 1) and \(inFeatures)x\(outFeatures))")
        }
        return try Tensor.linear(input, weight: weight, bias: bias)
    }
}

/// An activation with no parameters: `ReLU()`, `Sigmoid()`, `Tanh()`.
package final class Activation: Module {
    package enum Kind: String, Sendable { case relu = "ReLU", sigmoid = "Sigmoid", tanh = "Tanh" }
    package let kind: Kind
    /// `ReLU(inplace=True)`: overwrites its input (a version bump on it, and PyTorch's rules
    /// for in-place changes) instead of making a new tensor.
    package let inplace: Bool
    package init(_ kind: Kind, inplace: Bool = false) {
        self.kind = kind
        self.inplace = kind == .relu && inplace
    }
    override package var typeName: String { kind.rawValue }
    override package var extraRepr: String { inplace ? "inplace=True" : "" }
    override package func forward(_ input: Tensor) throws -> Tensor {
        switch kind {
        case .relu: return inplace ? try input.reluInPlace() : try input.relu()
        case .sigmoid: return try input.sigmoid()
        case .tanh: return try input.tanh()
        }
    }
}

/// `nn.MSELoss()`, `nn.CrossEntropyLoss()`, `nn.NLLLoss()`: a loss function as a module,
/// called with the input and the target (`loss_fn(pred, y)`), as tutorials write it.
package final class Loss: Module {
    package enum Kind: String, Sendable { case mse = "MSELoss", crossEntropy = "CrossEntropyLoss", nll = "NLLLoss" }
    package let kind: Kind
    package let reduction: String

    /// An unknown reduction is refused when the loss is computed, as PyTorch refuses it.
    package init(_ kind: Kind, reduction: String = "mean") {
        self.kind = kind
        self.reduction = reduction
    }

    override package var typeName: String { kind.rawValue }

    override package func forward(_ input: Tensor) throws -> Tensor {
        throw TensorError.type("\(kind.rawValue).forward() missing 1 required positional argument: 'target'")
    }

    package func forward(_ input: Tensor, target: Tensor) throws -> Tensor {
        switch kind {
        case .mse:
            if input.shape != target.shape { _ = try Shape.broadcast(input.shape, target.shape) }
            return try Tensor.mseLoss(input, target, reduction: reduction)
        case .crossEntropy: return try Tensor.crossEntropy(input, target, reduction: reduction)
        case .nll: return try Tensor.nllLoss(input, target, reduction: reduction)
        }
    }
}

/// `Dropout(p)`: active only while `training` is true, which is why `eval()` matters.
package final class Dropout: Module {
    package let p: Double
    /// `Dropout(p, inplace=True)`: zeroes and rescales its input in place while training.
    package let inplace: Bool
    package init(p: Double = 0.5, inplace: Bool = false) throws {
        guard p >= 0 && p <= 1 else {
            throw TensorError.value("dropout probability has to be between 0 and 1, but got \(p)")
        }
        self.p = p
        self.inplace = inplace
    }
    override package var typeName: String { "Dropout" }
    override package var extraRepr: String { "p=\(formatPythonFloat(p)), inplace=\(inplace ? "True" : "False")" }
    override package func forward(_ input: Tensor) throws -> Tensor {
        try Tensor.dropout(input, p: p, training: training, inplace: inplace)
    }
}

/// `Sequential(a, b, ...)`: applies its modules in order.
package final class Sequential: Module {
    package let modules: [Module]
    package init(_ modules: [Module]) { self.modules = modules }
    override package var typeName: String { "Sequential" }
    override package var children: [Module] { modules }
    override package func forward(_ input: Tensor) throws -> Tensor {
        try modules.reduce(input) { try $1.forward($0) }
    }
}

/// A module defined by a class in the session (`class Net(nn.Module)`): its sub-modules and
/// parameters are registered by name in assignment order, as `nn.Module.__setattr__` does,
/// and its forward is the class's, run by the interpreter.
package final class ScriptModule: Module {
    package let className: String
    package private(set) var namedChildren: [(name: String, module: Module)] = []
    package private(set) var namedParameters: [(name: String, tensor: Tensor)] = []
    /// The language's object behind it (attributes that are neither modules nor parameters).
    package var pythonObject: AnyObject?
    /// Runs the class's `forward` on one tensor, for Sequential and other modules that hold
    /// this one; the interpreter sets it.
    package var forwardBody: ((Tensor) throws -> Tensor)?

    package init(className: String) { self.className = className }

    override package var typeName: String { className }
    override package var children: [Module] { namedChildren.map(\.module) }
    override package var childNames: [String] { namedChildren.map(\.name) }
    override package var ownParameters: [(name: String, tensor: Tensor)] { namedParameters }

    override package func forward(_ input: Tensor) throws -> Tensor {
        guard let forwardBody else { throw TensorError.runtime("Module [\(className)] is missing the required \"forward\" function") }
        return try forwardBody(input)
    }

    /// `self.name = module` or `self.name = parameter`; nil removes the name from both.
    package func register(_ name: String, module: Module? = nil, parameter: Tensor? = nil) {
        let before = (namedChildren, namedParameters)
        StatementJournal.willChange(self) { (self.namedChildren, self.namedParameters) = before }
        if let module {
            if let i = namedChildren.firstIndex(where: { $0.name == name }) { namedChildren[i].module = module } else { namedChildren.append((name, module)) }
        } else {
            namedChildren.removeAll { $0.name == name }
        }
        if let parameter {
            if let i = namedParameters.firstIndex(where: { $0.name == name }) { namedParameters[i].tensor = parameter } else { namedParameters.append((name, parameter)) }
        } else {
            namedParameters.removeAll { $0.name == name }
        }
    }
}

/// Python's `repr` of a float: `0.5`, `1.0`, `1e-05`.
package func formatPythonFloat(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d > 0 ? "inf" : "-inf" }
    if d == d.rounded() && Swift.abs(d) < 1e16 {
        return String(format: "%.1f", d)
    }
    var s = "\(d)"
    // Swift prints 1e-05 as "1e-05" already; normalise "5e-324"-style forms to Python's.
    if s.contains("e") {
        let parts = s.split(separator: "e")
        var exp = String(parts[1])
        let sign = exp.hasPrefix("-") ? "-" : "+"
        exp = exp.trimmingCharacters(in: CharacterSet(charactersIn: "+-"))
        if exp.count < 2 { exp = "0" + exp }
        s = "\(parts[0])e\(sign)\(exp)"
    }
    return s
}

extension Tensor {
    /// `uniform_(a, b)` from the default generator.
    package func uniformInPlace(_ low: Double, _ high: Double) throws -> Tensor {
        try modifyInPlace(others: []) { cur in
            let t = try Tensor.zeros(cur.shape, dtype: .float32)
            let p = t.storage.pointer(Float.self)
            let from = Float(low), to = Float(high)
            DefaultGenerator.draw { g in for i in 0..<t.numel { p[i] = g.uniformFloat(from, to) } }
            return t
        }
    }

    /// `normal_(mean, std)` from the default generator.
    package func normalInPlace(mean: Double = 0, std: Double = 1) throws -> Tensor {
        try modifyInPlace(others: []) { cur in
            let t = try Tensor.zeros(cur.shape, dtype: .float32)
            let p = t.storage.pointer(Float.self)
            DefaultGenerator.draw { g in RandomFill.normal(p, count: t.numel, mean: mean, std: std, &g) }
            return t
        }
    }
}
