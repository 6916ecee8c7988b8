/// One tensor operation as the shell offers it: its names, its parameters, its help line,
/// the node it records and what that node saves, and the code that runs it. The language's
/// method and function bindings, completion, `:help` and the op list in docs/language.md
/// are all generated from these entries, so an op is added in one place.
package struct Op: Sendable {
    /// How the op is spelled in the shell.
    package struct Forms: OptionSet, Sendable {
        package let rawValue: Int
        package init(rawValue: Int) { self.rawValue = rawValue }
        /// `x.name(...)`
        package static let method = Forms(rawValue: 1)
        /// `name(x, ...)`, `torch.name(x, ...)`, `F.name(x, ...)`
        package static let function = Forms(rawValue: 2)
        /// `x.name_(...)`: the same op writing its result into `x`.
        package static let inPlace = Forms(rawValue: 4)
        package static let methodAndFunction: Forms = [.method, .function]
    }

    /// What the recorded node keeps for backward, as `:help` and the graph explain it.
    package enum Saved: Sendable, Equatable {
        case nothing, input, output, inputs
        package var phrase: String? {
            switch self {
            case .nothing: return nil
            case .input: return "saves its input"
            case .output: return "saves its result"
            case .inputs: return "saves its inputs"
            }
        }
    }

    /// The dtype of the result for integer and bool input.
    package enum DTypeRule: Sendable, Equatable {
        /// Integer and bool input give float32 (`exp`, `sin`, ...), as in PyTorch.
        case floatResult
        /// The result has the input's dtype (`neg`, `abs`, views).
        case sameAsInput
        /// Operands are promoted together (`add`, `mul`).
        case promoted
        /// The result is bool (comparisons).
        case boolResult
        /// The result is int64 (indices).
        case indexResult
        /// Not a tensor, or decided by an argument.
        case other
    }

    /// Input values for which the op is smooth, for the gradient checks of the registry test.
    package enum Domain: Sendable, Equatable {
        /// Any value away from 0 (kinks at 0 are skipped).
        case real
        /// Values in (0.2, 1.5): logarithms and roots.
        case positive
        /// Values in (-0.9, 0.9): inverse sines.
        case unitInterval
        /// Not differentiable; no gradient check.
        case none
    }

    package let name: String
    /// Other names of the same op (`clip` for `clamp`).
    package let aliases: [String]
    package let forms: Forms
    /// Parameters after the tensor the op is applied to.
    package let parameters: [OpParameter]
    /// One line for `:help`, without the signature.
    package let help: String
    /// PyTorch's name for the node the op records (nil: it never records one).
    package let node: String?
    package let saves: Saved
    package let dtypeRule: DTypeRule
    package let domain: Domain
    /// Arguments after the tensor that the registry test calls the op with, in every
    /// spelling and every memory layout.
    package let example: [Example]
    /// The shape of the input the registry test applies the op to.
    package let exampleShape: [Int]
    /// The code that runs the op, and that of its in-place form when there is one.
    package let call: @Sendable (Tensor, OpArguments) throws -> OpResult
    package let callInPlace: (@Sendable (Tensor, OpArguments) throws -> Tensor)?

    package init(_ name: String, aliases: [String] = [], forms: Forms = .methodAndFunction,
                parameters: [OpParameter] = [], help: String, node: String?, saves: Saved = .nothing,
                dtypeRule: DTypeRule, domain: Domain = .real, example: [Example] = [], exampleShape: [Int] = [2, 3],
                inPlace: (@Sendable (Tensor, OpArguments) throws -> Tensor)? = nil,
                run: @escaping @Sendable (Tensor, OpArguments) throws -> OpResult) {
        self.name = name
        self.aliases = aliases
        self.forms = inPlace == nil ? forms : forms.union(.inPlace)
        self.parameters = parameters
        self.help = help
        self.node = node
        self.saves = saves
        self.dtypeRule = dtypeRule
        self.domain = domain
        self.example = example
        self.exampleShape = exampleShape
        self.call = run
        self.callInPlace = inPlace
    }

    /// Every name the op answers to.
    package var names: [String] { [name] + aliases }

    /// The in-place spelling (`exp_`), when there is one.
    package var inPlaceName: String? { forms.contains(.inPlace) ? name + "_" : nil }

    /// Runs the op on `tensor` with arguments already converted to the parameters' kinds.
    package func callAsFunction(_ tensor: Tensor, _ arguments: OpArguments) throws -> OpResult {
        try call(tensor, arguments)
    }

    /// Runs the in-place form.
    package func inPlace(_ tensor: Tensor, _ arguments: OpArguments) throws -> Tensor {
        guard let callInPlace else { throw TensorError.runtime("\(name) has no in-place form") }
        return try callInPlace(tensor, arguments)
    }

    /// The op of one tensor and no arguments, for the core's own use (`x.exp()`).
    func unary(_ tensor: Tensor) throws -> Tensor {
        try call(tensor, OpArguments([])).tensor()
    }

    /// `x.exp()`, `x.clamp(min=None, max=None)`, `where(condition, ...)`: how `:help` shows the call.
    package var signature: String {
        let params = parameters.map(\.signatureText).joined(separator: ", ")
        if forms.contains(.method) { return "x.\(name)(\(params))" }
        return "\(name)(" + (["input"] + (params.isEmpty ? [] : [params])).joined(separator: ", ") + ")"
    }
}

/// An argument in an op's example call.
package enum Example: Sendable, Equatable {
    /// A tensor shaped like the input (`other`).
    case other
    /// `other.t()`
    case otherTransposed
    /// `other[0]`
    case otherRow
    /// `other > 1`: a bool mask shaped like the input.
    case mask
    case int(Int)
    case number(Double)
    /// Sizes, given one by one.
    case sizes([Int])
    case dtype(DType)

    /// How the argument is typed in the shell.
    package var text: String {
        switch self {
        case .other: return "other"
        case .otherTransposed: return "other.t()"
        case .otherRow: return "other[0]"
        case .mask: return "other > 1"
        case .int(let n): return String(n)
        case .number(let d): return String(d)
        case .sizes(let ns): return ns.map(String.init).joined(separator: ", ")
        case .dtype(let d): return "torch." + d.name
        }
    }
}

extension Op {
    /// The example's arguments as typed after the input: `"other, alpha=2"`.
    package var exampleText: String { example.map(\.text).joined(separator: ", ") }
}

/// One parameter of an op: its name, what it accepts, and its default.
package struct OpParameter: Sendable {
    package enum Kind: Sendable, Equatable {
        /// A tensor; a Python number becomes a wrapped number tensor, as PyTorch does.
        case tensor
        /// A number (a one-element tensor is read as its number).
        case scalar
        case int
        /// A dim or a tuple of dims.
        case dims
        case bool
        case double
        /// A dtype (`torch.float32`, `float`, `"int64"`).
        case dtype
        /// A tensor, or else an int dim (`max(other)` or `max(dim)`).
        case tensorOrDim
        /// A tensor or a number, kept apart (`fill_(value)`).
        case tensorOrScalar
        /// Sizes given one by one (`reshape(2, 3)`) or as one tuple; takes every positional
        /// argument, so it is an op's only parameter.
        case shape
        /// Modules given one by one (`Sequential(a, b)`); takes every positional argument.
        case modules
        /// Tensors: a list or tuple of them (`model.parameters()`), or one tensor.
        case tensors
        /// A tuple of numbers (`betas=(0.9, 0.999)`).
        case numbers
        case string
    }

    package let name: String
    package let kind: Kind
    package let isRequired: Bool
    /// The default as Python shows it (`None`, `False`, `1`), for signatures.
    package let defaultText: String

    package static func required(_ name: String, _ kind: Kind) -> OpParameter {
        OpParameter(name: name, kind: kind, isRequired: true, defaultText: "")
    }

    package static func optional(_ name: String, _ kind: Kind, default text: String = "None") -> OpParameter {
        OpParameter(name: name, kind: kind, isRequired: false, defaultText: text)
    }

    var signatureText: String { isRequired ? name : "\(name)=\(defaultText)" }
}

/// An argument converted to its parameter's kind (`.none` when left out or given as None).
package enum OpArgument {
    case none
    case tensor(Tensor)
    case scalar(Scalar)
    case int(Int)
    case ints([Int])
    case bool(Bool)
    case double(Double)
    case dtype(DType)
    case modules([Module])
    case tensors([Tensor])
    case doubles([Double])
    case string(String)
}

/// The arguments of one call, in the order of the op's parameters.
package struct OpArguments {
    package var values: [OpArgument]

    package init(_ values: [OpArgument]) {
        self.values = values
    }

    /// The sizes of a `.shape` parameter.
    var shape: [Int]? { dims(0) }


    private func value(_ i: Int) -> OpArgument { i < values.count ? values[i] : .none }

    func isGiven(_ i: Int) -> Bool {
        if case .none = value(i) { return false }
        return true
    }

    func tensor(_ i: Int) throws -> Tensor {
        switch value(i) {
        case .tensor(let t): return t
        case .scalar(let s): return Tensor.wrapping(s)
        default: throw TensorError.type("argument \(i + 1) must be a tensor")
        }
    }

    func optionalTensor(_ i: Int) throws -> Tensor? { isGiven(i) ? try tensor(i) : nil }

    func scalar(_ i: Int) -> Scalar? {
        switch value(i) {
        case .scalar(let s): return s
        case .int(let n): return .int(Int64(n))
        case .double(let d): return .float(d)
        case .bool(let b): return .bool(b)
        default: return nil
        }
    }

    func int(_ i: Int) -> Int? {
        if case .int(let n) = value(i) { return n }
        return nil
    }

    func int(_ i: Int, default d: Int) -> Int { int(i) ?? d }

    func dims(_ i: Int) -> [Int]? {
        switch value(i) {
        case .int(let n): return [n]
        case .ints(let ns): return ns
        default: return nil
        }
    }

    func bool(_ i: Int) -> Bool? {
        if case .bool(let b) = value(i) { return b }
        return nil
    }

    func bool(_ i: Int, default d: Bool) -> Bool { bool(i) ?? d }

    func double(_ i: Int) -> Double? {
        switch value(i) {
        case .double(let d): return d
        case .int(let n): return Double(n)
        case .scalar(let s): return s.doubleValue
        default: return nil
        }
    }

    func dtype(_ i: Int) -> DType? {
        if case .dtype(let d) = value(i) { return d }
        return nil
    }

    func modules(_ i: Int) -> [Module] {
        if case .modules(let ms) = value(i) { return ms }
        return []
    }

    func tensors(_ i: Int) -> [Tensor] {
        if case .tensors(let ts) = value(i) { return ts }
        return []
    }

    func string(_ i: Int) -> String? {
        if case .string(let s) = value(i) { return s }
        return nil
    }

    func doubles(_ i: Int) -> [Double]? {
        if case .doubles(let ds) = value(i) { return ds }
        return nil
    }
}

/// What an op gives back.
package enum OpResult {
    case tensor(Tensor)
    case tensors([Tensor])
    case bool(Bool)
    case int(Int)
    case ints([Int])
    case scalar(Scalar)
    case nothing
    case module(Module)
    case optimizer(Optimizer)
    /// A Python list (`model.parameters()`), where `.tensors` is a tuple.
    case tensorList([Tensor])
    case modules([Module])
    case namedTensors([(String, Tensor)])

    func tensor() throws -> Tensor {
        guard case .tensor(let t) = self else { throw TensorError.runtime("the op did not give a tensor") }
        return t
    }
}
