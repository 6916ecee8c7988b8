import GradCore
import XCTest
@testable import GradLang

/// The graph line and `:why` must agree with the tensor's recorded facts and name the true
/// cause, for every tensor method and builtin the shell has, on inputs that require grad
/// and on inputs that do not, under every grad mode.
final class ExplanationTests: XCTestCase {
    /// Argument lists tried in order until one is accepted; the first that works is used.
    static let argumentCandidates = [
        "", "(b)", "(1)", "(0)", "(1, 2)", "(0, 1)", "(2.0)", "(-1)", "(b, 1)", "(6)", "(3, 2)", "(2, 3)",
        "(0, 0, 1)", "([0, 1])", "(b > 0, 0.0)", "(dim=1)", "(0.1, 0.2)",
    ]

    /// The modes a statement can run in, as block heads (nil: plain grad mode).
    static let modes: [String?] = [nil, "no_grad", "inference", "set_grad_enabled(False)", "enable_grad"]

    /// Why a tensor has, or has not, a graph, derived from its facts alone.
    enum Cause: Equatable {
        case graph(String), leaf, inferenceLeaf, viewThroughBase, invalidView, notFloat, inference, gradient, detached
        case madeInInference, madeWithGradOff, inferenceInputsOnly, nothingRequiresGrad
    }

    static func cause(of t: Tensor) -> Cause {
        if t.isGradFnInvalid { return .invalidView }
        if let fn = t.gradFnOrRecorded { return .graph(fn.name) }
        if t.requiresGrad { return t.isInference ? .inferenceLeaf : t.ownRequiresGrad ? .leaf : .viewThroughBase }
        if !t.dtype.isFloatingPoint { return .notFloat }
        if t.isInference { return .inference }
        if t.isGradient { return .gradient }
        if t.isDetached { return .detached }
        if t.statementMode.isInferenceEnabled { return .madeInInference }
        if !t.statementMode.isGradEnabled { return .madeWithGradOff }
        if t.madeFromInferenceOnly { return .inferenceInputsOnly }
        return .nothingRequiresGrad
    }

    /// What the graph line must say for each cause.
    static func lineMatches(_ line: String, _ cause: Cause) -> Bool {
        switch cause {
        case .graph(let name): return line.hasPrefix("graph: grad_fn=\(name),")
        case .leaf: return line.hasPrefix("leaf that requires grad")
        case .inferenceLeaf: return line.hasPrefix("leaf inference tensor that requires grad")
        case .viewThroughBase: return line.contains("reports requires_grad=True through its base")
        case .invalidView: return line.contains("grad_fn=<Invalid>")
        case .notFloat: return line.contains("tensors never carry one")
        case .inference: return line.contains("inference tensor")
        case .gradient: return line.contains("gradient computed by backward()")
        case .detached: return line.contains("detached from the graph")
        case .madeInInference: return line.contains("made in inference mode")
        case .madeWithGradOff: return line.contains("made inside `") || line.contains("grad mode off")
        case .inferenceInputsOnly: return line.contains("made only from inference tensors")
        case .nothingRequiresGrad: return line.contains("nothing it was made from requires grad")
        }
    }

    /// What the short graph line (`:set explain short`) must say for each cause.
    static func shortLineMatches(_ line: String, _ cause: Cause) -> Bool {
        switch cause {
        case .graph(let name): return line.hasPrefix("graph: \(name), ")
        case .leaf: return line == "leaf, requires grad"
        case .inferenceLeaf: return line == "leaf inference tensor, requires grad"
        case .viewThroughBase: return line == "no graph: a view of a tensor that requires grad"
        case .invalidView: return line == "graph: unusable (grad_fn=<Invalid>)"
        case .notFloat: return ["no graph: int64", "no graph: bool"].contains(line)
        case .inference: return line == "no graph: inference tensor"
        case .gradient: return line == "no graph: a gradient"
        case .detached: return line == "no graph: detached"
        case .madeInInference: return line == "no graph: inference mode"
        case .madeWithGradOff: return line.hasPrefix("no graph: ") && line.hasSuffix(")") && line.contains(" (line ")
        case .inferenceInputsOnly: return line == "no graph: from inference tensors only"
        case .nothingRequiresGrad: return line == "no graph: no input requires grad"
        }
    }

    /// What `:why` must say for each cause.
    static func whyMatches(_ text: String, _ cause: Cause) -> Bool {
        switch cause {
        case .graph(let name): return text.contains("grad_fn=\(name),")
        case .leaf: return text.contains("as a leaf that requires grad")
        case .inferenceLeaf: return text.contains("an inference tensor that is a leaf requiring grad")
        case .viewThroughBase: return text.contains("as a leaf that requires grad") || text.contains("view")
        case .invalidView: return text.contains("the memory it shares was changed in place")
        case .notFloat, .nothingRequiresGrad, .detached, .madeInInference:
            return !text.contains("autograd recorded it") && !text.contains("as a leaf that requires grad")
        case .inference: return text.contains("inference tensor")
        case .gradient: return text.contains("is a gradient made by backward()")
        case .madeWithGradOff: return text.contains("so autograd did not record it")
        case .inferenceInputsOnly: return text.contains("Autograd does not track inference tensors")
        }
    }

    /// For one method or builtin, the call text that works on `a` (and `b`), if any.
    func workingCall(_ name: String, method: Bool, session: Session) -> String? {
        for args in Self.argumentCandidates {
            let call = method ? "a.\(name)\(args.isEmpty ? "()" : args)" : "\(name)(a\(args.isEmpty ? ")" : ", " + args.dropFirst()))"
            var ok = false
            session.run(source: "__probe = \(call)") { event in
                if case .result(_, _, .tensor) = event { ok = true }
            }
            if ok { return call }
        }
        return nil
    }

    func testEveryExplanationNamesTheTrueCause() throws {
        let skip: Set<String> = ["backward", "numpy", "uniform_", "normal_"]
        var checked = 0
        var covered = Set<String>()
        let methods = Methods.tensorMethodNames.subtracting(skip).sorted().map { ($0, true) }
        let functions = Builtins.allNames.map { ($0, false) }
        for (name, isMethod) in methods + functions where !skip.contains(name) {
            // Inputs: a normal tensor that requires grad, one that does not, and inference
            // tensors that require grad (which autograd does not track outside inference mode).
            for inputs in ["grad", "plain", "inference"] {
                let requiresGrad = inputs == "grad"
                for mode in Self.modes {
                    GradModeState.reset()
                    let session = Session()
                    session.run(source: inputs == "inference" ? """
                    inference < a = randn(2, 3, requires_grad=True); b = randn(2, 3, requires_grad=True) >
                    """ : """
                    a = randn(2, 3, requires_grad=\(requiresGrad ? "True" : "False")).clone()
                    b = randn(2, 3)
                    """) { _ in }
                    guard let call = workingCall(name, method: isMethod, session: session) else { continue }
                    let statement = mode.map { "\($0) < r = \(call) >" } ?? "r = \(call)"
                    var result: Tensor?
                    session.run(source: statement) { event in
                        if case .result(_, "r", .tensor(let t)) = event { result = t }
                    }
                    guard let r = result else { continue }
                    let cause = Self.cause(of: r)
                    let line = GraphLine.describe(r)
                    XCTAssertTrue(Self.lineMatches(line, cause), "\(statement) (inputs: \(inputs)): \(cause) but the graph line says: \(line)")
                    let short = GraphLine.describe(r, short: true)
                    XCTAssertTrue(Self.shortLineMatches(short, cause), "\(statement) (inputs: \(inputs)): \(cause) but the short graph line says: \(short)")
                    let why = Why.explain("r", r)
                    XCTAssertTrue(Self.whyMatches(why, cause), "\(statement): \(cause) but :why says: \(why)")
                    // The causes the facts allow, given how r was made.
                    if cause == .nothingRequiresGrad && requiresGrad && (mode == nil || mode == "enable_grad") && !Self.creationLike.contains(name) {
                        XCTFail("\(statement): made in grad mode from a tensor that requires grad, yet no graph and no other cause")
                    }
                    var isInput = false
                    if case .tensor(let a)? = session.interpreter.globals.value(of: "a") { isInput = a === r || a.storage === r.storage }
                    if case .graph = cause, mode != nil, mode != "enable_grad", !isInput {
                        XCTFail("\(statement): a graph was recorded under \(mode!)")
                    }
                    checked += 1
                    covered.insert(name)
                }
            }
        }
        GradModeState.reset()
        XCTAssertGreaterThan(covered.count, 80, "methods and builtins exercised")
        XCTAssertGreaterThan(checked, 1100)
    }

    /// Builtins that read only their argument's shape or make a fresh tensor: no graph to
    /// PyTorch either, and "nothing it was made from requires grad" is what they say.
    static let creationLike: Set<String> = [
        "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "empty_like", "tensor", "as_tensor",
    ]
}
