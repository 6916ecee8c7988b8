import GradCore
import XCTest
@testable import GradLang

/// Every registry op is reachable from the shell under each of its spellings (method,
/// function with and without `torch.`, in-place form), with its example arguments typed as
/// a learner types them, and completion offers each method name.
final class OpSpellingTests: XCTestCase {
    func testEverySpellingOfEveryOpRuns() {
        var calls = 0
        for op in OpRegistry.all {
            // As a tuple: `()` for a 0-d input, since randn() without a size is an error.
            let shape = "(" + op.exampleShape.map(String.init).joined(separator: ", ") + (op.exampleShape.count == 1 ? ",)" : ")")
            let args = op.exampleText.isEmpty ? "" : ", " + op.exampleText
            // Ops that write into their input get a fresh copy, so the leaf x stays usable.
            let receiver = op.name.hasSuffix("_") ? "x.clone()" : "x"
            var statements: [String] = []
            for name in op.names {
                if op.forms.contains(.method) { statements.append("r = \(receiver).\(name)(\(op.exampleText))") }
                if op.forms.contains(.function) {
                    // round(x) is Python's builtin, which refuses tensors as PyTorch's does.
                    if !Builtins.pythonOnly.contains(name) { statements.append("r = \(name)(\(receiver)\(args))") }
                    statements.append("r = torch.\(name)(\(receiver)\(args))")
                }
                if op.inPlaceName != nil { statements.append("r = x.clone().\(name)_(\(op.exampleText))") }
            }
            for statement in statements {
                let session = Session()
                var failures: [String] = []
                session.run(source: """
                x = (randn(\(shape)) * 0.5 + 2).requires_grad_()
                other = rand(\(shape)) + 0.5
                \(statement)
                """) { event in
                    if case .error(_, let e) = event { failures.append(e.description) }
                }
                XCTAssertEqual(failures, [], statement)
                calls += 1
            }
        }
        XCTAssertGreaterThan(calls, 150)
    }

    func testCompletionOffersEveryMethodSpelling() throws {
        let members = Set(Completion.members(of: .tensor(try Tensor.ones([2]))))
        let builtins = Set(Completion.builtinNames)
        for op in OpRegistry.all {
            for name in op.names {
                if op.forms.contains(.method) { XCTAssertTrue(members.contains(name), "x.\(name)") }
                if op.forms.contains(.function) { XCTAssertTrue(builtins.contains(name), "\(name)(x)") }
                if op.inPlaceName != nil { XCTAssertTrue(members.contains(name + "_"), "x.\(name)_") }
            }
            if let keyword = op.parameters.first(where: { $0.kind != .shape }) {
                let session = Session()
                let candidates = Completion.candidates(for: "x.\(op.name)(\(keyword.name.prefix(1))", in: session)
                XCTAssertTrue(candidates.contains(keyword.name + "="), "\(op.name)(\(keyword.name)=")
            }
        }
    }
}
