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
        "SGD": "SGD(net.parameters(), lr=0.1, momentum=0.9)", "Adam": "Adam(net.parameters(), betas=(0.8, 0.9))",
    ]

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
