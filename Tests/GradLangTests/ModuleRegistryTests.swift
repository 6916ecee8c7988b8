import GradCore
import XCTest
@testable import GradLang

/// The layer and optimizer registry: every constructor and method is described, reachable
/// from the shell, offered by completion, and keyword arguments complete.
final class ModuleRegistryTests: XCTestCase {
    /// How each constructor is called in this test; a new entry must be added here.
    static let examples: [String: String] = [
        "Linear": "Linear(2, 3, bias=False)", "ReLU": "ReLU(inplace=True)", "Sigmoid": "Sigmoid()", "Tanh": "Tanh()",
        "Dropout": "Dropout(p=0.2)", "Sequential": "Sequential(Linear(2, 3), ReLU())",
        "MSELoss": "MSELoss(reduction='sum')", "CrossEntropyLoss": "CrossEntropyLoss(reduction='mean')", "NLLLoss": "NLLLoss(reduction='none')",
        "SGD": "SGD(net.parameters(), lr=0.1, momentum=0.9)", "Adam": "Adam(net.parameters(), betas=(0.8, 0.9))",
    ]

    /// How each tensor factory is called in this test, and what it must make.
    static let factoryExamples: [String: (String, String)] = [
        "zeros": ("zeros(2, 3, dtype=torch.int64)", "tensor([[0, 0, 0],\n        [0, 0, 0]])"),
        "ones": ("ones((2,), requires_grad=True)", "tensor([1., 1.], requires_grad=True)"),
        "rand": ("rand(size=(2,)).shape", "(2,)"), "randn": ("randn(()).dim()", "0"),
        "full": ("full((2,), 7)", "tensor([7, 7])"), "eye": ("eye(2, m=1)", "tensor([[1.],\n        [0.]])"),
        "arange": ("arange(3)", "tensor([0, 1, 2])"), "linspace": ("linspace(0, 1, steps=3)", "tensor([0.0000, 0.5000, 1.0000])"),
        "zeros_like": ("zeros_like(ones(2))", "tensor([0., 0.])"), "ones_like": ("ones_like(zeros(2), dtype=torch.bool)", "tensor([True, True])"),
        "empty_like": ("empty_like(ones(1)).shape", "(1,)"), "rand_like": ("rand_like(ones(3)).shape", "(3,)"),
        "randn_like": ("randn_like(ones(3)).shape", "(3,)"), "full_like": ("full_like(ones(2), 5)", "tensor([5., 5.])"),
        "randperm": ("len(randperm(3))", "3"), "manual_seed": ("manual_seed(1)", ""),
        "initial_seed": ("manual_seed(7); initial_seed()", "7"),
        "where": ("where(tensor([True, False]), ones(2), zeros(2))", "tensor([1., 0.])"),
        "cat": ("cat([ones(1), zeros(1)], dim=0)", "tensor([1., 0.])"), "concat": ("concat((ones(1), ones(1)))", "tensor([1., 1.])"),
        "stack": ("stack([ones(1), zeros(1)], dim=1)", "tensor([[1., 0.]])"),
        "linear": ("F.linear(ones(1, 2), ones(1, 2), bias=ones(1))", "tensor([[3.]])"),
        "mse_loss": ("F.mse_loss(ones(2), zeros(2), reduction='sum')", "tensor(2.)"),
        "cross_entropy": ("F.cross_entropy(zeros(1, 2), tensor([1]))", "tensor(0.6931)"),
        "nll_loss": ("F.nll_loss(tensor([[-1.0, -2.0]]), tensor([1]))", "tensor(2.)"),
        "dropout": ("F.dropout(ones(2), p=0.5, training=False)", "tensor([1., 1.])"),
    ]

    func testEveryFactoryIsReachableAndDescribed() {
        XCTAssertEqual(Set(Self.factoryExamples.keys), Set(OpRegistry.factoriesByName.keys))
        for factory in OpRegistry.factories {
            XCTAssertFalse(factory.help.isEmpty, factory.name)
            XCTAssertNotNil(OpRegistry.helpText(factory.name))
            guard let (call, expected) = Self.factoryExamples[factory.name] else { continue }
            var shown: [String] = []
            Session().run(source: call) { event in
                switch event {
                case .result(_, _, let v): shown.append(Repr.shown(v))
                case .error(_, let e): shown.append(e.description)
                default: break
                }
            }
            XCTAssertEqual(shown.joined(), expected, call)
            for p in OpBindings.parameterNames(factory.name) ?? [] {
                XCTAssertTrue(Completion.candidates(for: "torch.\(factory.name)(\(p.prefix(2))", in: Session()).contains(p + "="),
                              "\(factory.name)(\(p)=")
            }
        }
    }

    func testEveryConstructorAndMethodIsReachableAndDescribed() throws {
        let session = Session()
        var errors: [String] = []
        let emit: (SessionEvent) -> Void = { if case .error(_, let e) = $0 { errors.append(e.description) } }
        session.run(source: "net = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))\nx = ones(4, 2)", emit: emit)
        for constructor in ModuleRegistry.layers + ModuleRegistry.optimizers {
            XCTAssertFalse(constructor.help.isEmpty, constructor.name)
            XCTAssertNotNil(ModuleRegistry.helpText(constructor.name))
            let example = try XCTUnwrap(Self.examples[constructor.name], "an example call for \(constructor.name)")
            session.run(source: "made = \(example)\nalso = nn.\(example)", emit: emit)
            let params = OpBindings.parameterNames(constructor.name) ?? []
            for p in params {
                XCTAssertTrue(Completion.candidates(for: "\(constructor.name)(\(p.prefix(2))", in: session).contains(p + "="),
                              "\(constructor.name)(\(p)=")
            }
        }
        guard case .module(let net)? = session.interpreter.globals.value(of: "net") else { return XCTFail("no net") }
        let members = Set(Completion.members(of: .module(net)))
        for method in ModuleRegistry.moduleMethods {
            XCTAssertTrue(members.contains(method.name), "model.\(method.name)")
            XCTAssertNotNil(ModuleRegistry.helpText(method.name))
            let args = method.parameters.first?.isRequired == true ? "x" : ""
            session.run(source: "r = net.\(method.name)(\(args))", emit: emit)
        }
        session.run(source: "opt = SGD(net.parameters(), lr=0.1)\nnet(x).sum().backward()", emit: emit)
        guard case .optimizer(let opt)? = session.interpreter.globals.value(of: "opt") else { return XCTFail("no opt") }
        let optimizerMembers = Set(Completion.members(of: .optimizer(opt)))
        for method in ModuleRegistry.optimizerMethods {
            XCTAssertTrue(optimizerMembers.contains(method.name), "optimizer.\(method.name)")
            session.run(source: "opt.\(method.name)()", emit: emit)
        }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(Set(Self.examples.keys), Set(ModuleRegistry.constructorsByName.keys))
    }
}
