import GradCore
import XCTest
@testable import GradLang

/// Random statement sequences from the grammar, with failures injected: after every failing
/// statement the session must be exactly as before it (variables, grad mode, the random
/// generator's position), and nothing may crash.
final class PropertyTests: XCTestCase {
    /// A tiny deterministic generator for the test's own choices.
    struct Choices {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        mutating func pick<T>(_ xs: [T]) -> T { xs[next(xs.count)] }
    }

    static let names = ["a", "b", "w", "x"]

    func statement(_ c: inout Choices) -> String {
        let n = c.pick(Self.names), m = c.pick(Self.names)
        let good = [
            "\(n) = randn(3, requires_grad=\(c.pick(["True", "False"])))",
            "\(n) = \(m) * 2 + 1", "\(n) = (\(m) * \(m)).sum()", "\(n) = \(m).relu()", "\(n) = tensor([1.0, 2.0, 3.0])",
            "no_grad < \(n) = \(m) * 3 >", "inference < \(n) = \(m) + 1 >", "\(n) = \(m).detach()",
            "set_grad_enabled(\(c.pick(["True", "False"])))", "\(n), \(m) = \(m), \(n)", "\(n) = [\(m), 1]",
            "for i in range(2) < \(n) = \(m) * i >", "\(n) = \(m)[0]", "\(n) = \(m).exp().sum()",
        ]
        let failing = [
            "\(n) = randn(3) + missing", "\(n), \(m) = (1, 2, 3)", "\(n) = \(m) @ ones(7)", "\(n) = \(m)[99]",
            "no_grad < \(n) = randn(2) * \(m).foo >", "inference < \(n) = randn(2) * undefined >",
            "\(n).add_(ones(9))", "\(n) = \(m).view(7, 7)", "\(n) = 1 / 0", "\(n) = randint(0, 5, (3,)) + 'a'",
            "\(n)[0] = 'text'", "\(n).backward()", "\(n) = tensor([[1, 2], [3]])", "\(n) = \(m)(2)",
            "\(n) = broken(\(m))", "\(n) = deep(3)", "\(n) = frozen(\(m)) @ ones(9)", "@no_grad\ndef \(n)(t) < return t *+* 2 >",
        ]
        return c.next(3) == 0 ? c.pick(failing) : c.pick(good)
    }

    /// Everything observable about the session that a failed statement must not change.
    func snapshot(_ s: Session) -> String {
        let vars = s.interpreter.globals.bindings.map { name, value -> String in
            var text = "\(name)=\(Repr.repr(value))"
            if case .tensor(let t) = value { text += " v\(t.versionIfTracked.map(String.init) ?? "-") rg\(t.requiresGrad)" }
            return text
        }
        let mode = GradModeState.current
        var generator = DefaultGenerator.shared
        return vars.joined(separator: "; ") + " | grad=\(mode.isGradEnabled) inference=\(mode.isInferenceEnabled) rng=\(generator.next())"
    }

    func testFailedStatementsChangeNothing() {
        var checked = 0
        for seed in 0..<40 {
            GradModeState.reset()
            DefaultGenerator.seed(Int64(seed))
            var c = Choices(state: UInt64(seed) &+ 1)
            let session = Session()
            session.run(source: """
            a = ones(3, requires_grad=True)
            b = ones(3)
            w = tensor([1.0, 2.0, 3.0])
            x = zeros(3)
            def broken(t) <
                local = randn(3) * t
                return local @ missing
            >
            def deep(k) < return deep(k + 1) >
            @no_grad
            def frozen(t) < return t * randn(3) >
            """) { _ in }
            for _ in 0..<40 {
                let text = statement(&c)
                let before = snapshot(session)
                var failed = false
                session.run(source: text) { event in if case .error = event { failed = true } }
                if failed {
                    XCTAssertEqual(snapshot(session), before, "after the failing statement: \(text)")
                    checked += 1
                }
            }
        }
        GradModeState.reset()
        XCTAssertGreaterThan(checked, 100)
    }
}
