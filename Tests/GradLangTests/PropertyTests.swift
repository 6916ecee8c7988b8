import GradCore
import XCTest
@testable import GradLang

/// Random statement sequences from the grammar, with failures injected: after every failing
/// or interrupted statement the session must be exactly as before it (variables, tensor
/// values, versions, gradients, grad mode, the random generator's position), and nothing
/// may crash.
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
            "no_grad < \(n).add_(1) >", "\(n)[0] = 5", "(\(n) * \(m)).sum().backward()", "\(n).grad", "opt.step()",
        ]
        let failing = [
            "\(n) = randn(3) + missing", "\(n), \(m) = (1, 2, 3)", "\(n) = \(m) @ ones(7)", "\(n) = \(m)[99]",
            "no_grad < \(n) = randn(2) * \(m).foo >", "inference < \(n) = randn(2) * undefined >",
            "\(n).add_(ones(9))", "\(n) = \(m).view(7, 7)", "\(n) = 1 / 0", "\(n) = randint(0, 5, (3,)) + 'a'",
            "\(n)[0] = 'text'", "\(n).backward()", "\(n) = tensor([[1, 2], [3]])", "\(n) = \(m)(2)",
            "\(n) = broken(\(m))", "\(n) = deep(3)", "\(n) = frozen(\(m)) @ ones(9)", "@no_grad\ndef \(n)(t) < return t *+* 2 >",
            "no_grad < \(n).add_(1).mul_(ones(7)) >", "twice(\(n), \(m))", "scribble(\(n))", "train(\(n))",
            "no_grad < \(n)[0], \(n)[9] = 7, 1 >",
        ]
        return c.next(3) == 0 ? c.pick(failing) : c.pick(good)
    }

    /// Everything observable about the session that a failed statement must not change.
    func snapshot(_ s: Session) -> String {
        let vars = s.interpreter.globals.bindings.map { name, value -> String in
            var text = "\(name)=\(Repr.shown(value))"
            if case .tensor(let t) = value {
                text += " v\(t.versionIfTracked.map(String.init) ?? "-") rg\(t.requiresGrad)"
                text += " grad=" + (t.grad.map { Repr.shown(.tensor($0)) + " v\($0.versionIfTracked.map(String.init) ?? "-")" } ?? "None")
            }
            return text
        }
        let mode = GradModeState.current
        var generator = DefaultGenerator.shared
        return vars.joined(separator: "; ") + " | grad=\(mode.isGradEnabled) inference=\(mode.isInferenceEnabled) rng=\(generator.random64())"
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
            p = ones(3, requires_grad=True)
            opt = optim.SGD([p], lr=0.5, momentum=0.9)
            def scribble(t) <
                no_grad < t.add_(randn(3)) >
                return t.missing
            >
            def twice(t, u) <
                for i in range(3) <
                    t.mul_(2)
                    u[0] = 1
                >
                return t.missing
            >
            def train(t) <
                (p * t).sum().backward()
                opt.step()
                return t.missing
            >
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

    /// Statements that write tensors in place in long loops, stopped by the statement time
    /// limit at whatever point they reached: afterwards everything is as before.
    func testInterruptedStatementsChangeNothing() {
        var interrupted = 0
        for seed in 0..<12 {
            GradModeState.reset()
            DefaultGenerator.seed(Int64(seed))
            var c = Choices(state: UInt64(seed) &+ 7)
            let session = Session()
            session.run(source: """
            w = zeros(3)
            p = ones(3, requires_grad=True)
            opt = optim.SGD([p], lr=0.01, momentum=0.9)
            (p * 2).sum().backward()
            model = Linear(3, 2)
            """) { _ in }
            let loops = [
                "for k in range(10**8) < w.add_(1) >",
                "for k in range(10**8) < (p * w).sum().backward(); opt.step(); w[k % 3] = k >",
                "for k in range(10**8) < no_grad < p.mul_(1.0001); w.add_(randn(3)) >; model.eval() >",
                "for k in range(10**8) < model.train(); p.grad = None; q = w * k; w.copy_(q) >",
            ]
            for _ in 0..<3 {
                let text = c.pick(loops)
                session.interpreter.statementTimeLimit = Double(1 + c.next(20)) / 1000
                let before = snapshot(session)
                var errors: [String] = []
                session.run(source: text) { event in if case .error(_, let e) = event { errors.append(e.type) } }
                session.interpreter.statementTimeLimit = nil
                XCTAssertEqual(errors, ["TimeoutError"], text)
                var after = snapshot(session)
                var probe = ""
                session.run(source: "model.training") { event in if case .result(_, _, let v) = event { probe = Repr.shown(v) } }
                after += probe
                XCTAssertEqual(after, before + "True", "after interrupting: \(text)")
                interrupted += 1
            }
        }
        GradModeState.reset()
        XCTAssertEqual(interrupted, 36)
    }
}
