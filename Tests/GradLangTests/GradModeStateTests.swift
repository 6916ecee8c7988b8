import GradCore
import XCTest
@testable import GradLang

/// GradCore's grad-mode state is the only record of the mode: blocks and decorated calls
/// open scopes in it, tensors record where they were made from it, and every path out of a
/// block (normal end, error, interrupt) restores it.
final class GradModeStateTests: XCTestCase {
    override func setUp() { GradModeState.reset() }

    private func tensor(_ name: String, _ session: Session) -> Tensor? {
        if case .tensor(let t)? = session.interpreter.globals.value(of: name) { return t }
        return nil
    }

    func testBlocksAndDecoratorsOpenScopesTensorsRemember() throws {
        let session = Session()
        session.run(source: """
        x = ones(2, requires_grad=True)
        @no_grad
        def f(t) < return t * 2 >
        enable_grad < y = f(x); z = x * 2 >
        inference < w = x * 2 >
        """) { _ in }
        let y = try XCTUnwrap(tensor("y", session)), z = try XCTUnwrap(tensor("z", session)), w = try XCTUnwrap(tensor("w", session))
        XCTAssertEqual(y.site.scopes, ["enable_grad", "@no_grad f()"])
        XCTAssertEqual(y.site.line, 3, "made by the return statement of f, on line 3")
        XCTAssertFalse(y.statementMode.isGradEnabled)
        XCTAssertEqual(z.site.scopes, ["enable_grad"])
        XCTAssertTrue(z.statementMode.isGradEnabled)
        XCTAssertEqual(w.site.scopes, ["inference"])
        XCTAssertEqual(w.site.line, 5)
        XCTAssertEqual(GradModeState.openScopes, [])
        XCTAssertEqual(GradModeState.current, .initial)
    }

    func testFailingAndNestedBlocksRestoreModeAndScopes() {
        let session = Session()
        var errors = 0
        session.run(source: """
        x = ones(2, requires_grad=True)
        no_grad < inference < y = x * 2; missing_name > >
        @inference
        def g(t) < return undefined_thing >
        enable_grad < g(x) >
        """) { if case .error = $0 { errors += 1 } }
        XCTAssertEqual(errors, 2)
        XCTAssertEqual(GradModeState.openScopes, [])
        XCTAssertEqual(GradModeState.current, .initial)
    }

    func testPlainSetGradEnabledIsRecordedWithItsLine() throws {
        let session = Session()
        session.run(source: """
        x = ones(2, requires_grad=True)
        set_grad_enabled(False)
        y = x * 2
        no_grad < set_grad_enabled(True) >
        """) { _ in }
        let y = try XCTUnwrap(tensor("y", session))
        XCTAssertEqual(y.site.gradFlagSetAt, 2)
        XCTAssertEqual(GraphLine.describe(y), "no graph: made with grad mode off (set_grad_enabled(False) at line 2), so autograd did not record it")
        XCTAssertEqual(GradModeState.plainSetGradEnabledLine, 2, "the block put back the flag and the record of who set it")
        XCTAssertFalse(GradModeState.current.isGradEnabled)
    }

    func testResetIsOneCall() {
        let session = Session()
        session.run(source: "set_grad_enabled(False)\nx = 1") { _ in }
        _ = session.feed("no_grad <") { _ in }
        XCTAssertTrue(session.isGathering)
        session.reset()
        XCTAssertFalse(session.isGathering)
        XCTAssertEqual(GradModeState.current, .initial)
        XCTAssertNil(GradModeState.plainSetGradEnabledLine)
        XCTAssertTrue(session.interpreter.globals.names.isEmpty)
    }

    /// At the end of input the parser says what is still open and where it was opened.
    func testUnfinishedInputNamesWhatIsOpenAndWhere() {
        let cases: [(String, String, String)] = [
            ("x = 1\nno_grad <\n  y = 2", "the no_grad block opened here was never closed with '>'", "2:9"),
            ("for i in range(3) < no_grad < a = i >", "the for ... in ... block opened here was never closed with '>'", "1:19"),
            ("def f(x)", "the def f(...) block has no body: '<' was expected", "1:9"),
            ("y = max(1,\n  2", "'(' was never closed", "1:8"),
            ("s = [1, 2", "'[' was never closed", "1:5"),
            ("@no_grad", "a decorator must be followed by a def", "1:1"),
        ]
        for (source, message, place) in cases {
            var errors: [GradError] = []
            Session().run(source: source) { if case .error(_, let e) = $0 { errors.append(e) } }
            XCTAssertEqual(errors.map(\.message), [message], source)
            XCTAssertEqual(errors.first?.location?.description, place, source)
        }
    }
}
