import XCTest
@testable import GradLang

/// The grammar of LANGUAGE.md section 3, the block rule, chunk completeness and every
/// syntax error message.
final class ParserTests: XCTestCase {
    private func program(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> [Stmt] {
        switch Parser.parse(source) {
        case .program(let p): return p
        case .incomplete: XCTFail("incomplete: \(source)", file: file, line: line); return []
        case .failure(let e): XCTFail("\(e) in: \(source)", file: file, line: line); return []
        }
    }

    private func error(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> GradError? {
        switch Parser.parse(source) {
        case .failure(let e): return e
        default: XCTFail("expected a syntax error: \(source)", file: file, line: line); return nil
        }
    }

    func testStatementsAndSeparators() {
        XCTAssertEqual(program("a = 1; b = 2\nc = a + b\n\n# comment\n").count, 3)
        XCTAssertEqual(program("x = (1 +\n  2)").count, 1)
        XCTAssertEqual(program("x = [1,\n 2,\n 3]").count, 1)
        guard case .assign(let targets, _) = program("a = b = 3")[0].kind else { return XCTFail() }
        XCTAssertEqual(targets.count, 2)
        guard case .assign(let t, _) = program("a, (b, c) = 1, (2, 3)")[0].kind, case .tuple(let items, _) = t[0] else { return XCTFail() }
        XCTAssertEqual(items.count, 2)
        guard case .augmentedAssign(_, let op, _) = program("w -= lr * g")[0].kind else { return XCTFail() }
        XCTAssertEqual(op, "-=")
        guard case .assign(let ts, _) = program("x[0, 1:] = 5")[0].kind, case .subscript = ts[0] else { return XCTFail() }
        guard case .assign(let at, _) = program("x.grad = None")[0].kind, case .attribute = at[0] else { return XCTFail() }
    }

    func testBlockRule() {
        guard case .modeBlock(let head, let body) = program("no_grad < y = x > 0 >")[0].kind, head.kind == .noGrad else { return XCTFail() }
        XCTAssertEqual(body.count, 1)
        guard case .assign(_, let value) = body[0].kind, case .comparison(_, let ops) = value.kind else { return XCTFail() }
        XCTAssertEqual(ops, [">"])
        XCTAssertEqual(program("no_grad < a = 1 ; b = 2 >").count, 1)
        XCTAssertEqual(program("no_grad <\n  a = 1\n  enable_grad < b = 2 >\n>").count, 1)
        guard case .ifElse(_, _, let elseBody) = program("if (n < 3) < a = 1 > else < a = 2 >")[0].kind else { return XCTFail() }
        XCTAssertNotNil(elseBody)
        guard case .ifElse(let cond, _, _) = program("if n > 2 < a = 1 >")[0].kind, case .comparison = cond.kind else { return XCTFail() }
        guard case .forLoop(_, _, let loopBody, _) = program("for i in range(3) < total += i >")[0].kind else { return XCTFail() }
        XCTAssertEqual(loopBody.count, 1)
        guard case .ifElse(_, _, let chain) = program("if a < b = 1 > else if c < b = 2 > else < b = 3 >")[0].kind,
              case .ifElse = chain?.first?.kind else { return XCTFail() }
        XCTAssertEqual(program("no_grad < >").count, 1)
        XCTAssertEqual(program("no_grad < x = [a > b, c] >").count, 1)
        guard case .modeBlock(let inference, _) = program("inference(False) < p = 1 >")[0].kind else { return XCTFail() }
        XCTAssertEqual(inference.kind, .inference)
        XCTAssertNotNil(inference.argument)
    }

    func testModeHeadsAndDecorators() {
        for head in ["torch.no_grad()", "torch.enable_grad()", "torch.inference_mode()", "torch.set_grad_enabled(False)",
                     "set_grad_enabled(True)", "inference", "enable_grad", "no_grad"] {
            guard case .modeBlock = program("\(head) < a = 1 >")[0].kind else { return XCTFail(head) }
        }
        guard case .expression = program("set_grad_enabled(False)")[0].kind else { return XCTFail() }
        for deco in ["@no_grad", "@torch.no_grad()", "@inference", "@torch.inference_mode()", "@enable_grad", "@set_grad_enabled(False)"] {
            guard case .functionDef(let def) = program("\(deco)\ndef f(x) < return x >")[0].kind else { return XCTFail(deco) }
            XCTAssertEqual(def.decorators.count, 1, deco)
        }
        guard case .functionDef(let def) = program("@no_grad\n@enable_grad\ndef f(a, k=2) <\n return a * k\n>")[0].kind else { return XCTFail() }
        XCTAssertEqual(def.decorators.count, 2)
        XCTAssertEqual(def.parameters.map(\.name), ["a", "k"])
    }

    func testPrecedence() {
        guard case .expression(let e) = program("-x ** 2 + 3 * y @ z")[0].kind,
              case .binary("+", let l, let r) = e.kind,
              case .unary("-", let p) = l.kind, case .binary("**", _, _) = p.kind,
              case .binary("@", let m, _) = r.kind, case .binary("*", _, _) = m.kind else { return XCTFail() }
        guard case .expression(let c) = program("1 < 2 < 3")[0].kind, case .comparison(let xs, _) = c.kind else { return XCTFail() }
        XCTAssertEqual(xs.count, 3)
        guard case .expression(let n) = program("not a or b and c")[0].kind, case .logicalOr(let a, _) = n.kind,
              case .logicalNot = a.kind else { return XCTFail() }
        guard case .expression(let k) = program("f(x, dim=1, keepdim=True)[0].sum()")[0].kind, case .call = k.kind else { return XCTFail() }
        guard case .expression(let s) = program("x[..., None, 1:3:2, ::2]")[0].kind, case .subscript(_, let items) = s.kind else { return XCTFail() }
        XCTAssertEqual(items.count, 4)
    }

    func testCompleteness() {
        XCTAssertFalse(Parser.isComplete("no_grad <"))
        XCTAssertFalse(Parser.isComplete("def f(x) <\n  y = x"))
        XCTAssertFalse(Parser.isComplete("x = (1,"))
        XCTAssertFalse(Parser.isComplete("@no_grad"))
        XCTAssertTrue(Parser.isComplete("s = \"abc"), "an unclosed quote is an error on its line, as in Python")
        XCTAssertFalse(Parser.isComplete("s = \"abc\\"), "a backslash continues the string on the next line")
        XCTAssertFalse(Parser.isComplete("for i in range(3) <\n  no_grad < a = 1 >"))
        XCTAssertFalse(Parser.isComplete("def f(x) <\n  return x *+* 2"), "an error inside an open block waits for the block to end")
        XCTAssertTrue(Parser.isComplete("no_grad < a = 1 >"))
        XCTAssertTrue(Parser.isComplete("x = 1 +* 2"))
        XCTAssertFalse(Parser.isComplete("with torch.no_grad():"), "its indented lines come next")
        XCTAssertFalse(Parser.isComplete("if x:\n    y = 1"), "more indented lines, or an else, may follow")
        XCTAssertFalse(Parser.isComplete("if x: y = 1"), "an else may follow")
        XCTAssertTrue(Parser.isComplete("if x:\n    y = 1\nz = 2"))
    }

    /// Python's spelling of blocks, parsed into the same statements as `< >` blocks, with
    /// Python's indentation rules and its IndentationError and SyntaxError messages.
    func testPythonBlocks() {
        func final(_ source: String) -> Parser.Outcome { Parser.parse(source, final: true) }
        func finalProgram(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> [Stmt] {
            guard case .program(let p) = final(source) else { XCTFail("not a program: \(source)", file: file, line: line); return [] }
            return p
        }
        func finalError(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> GradError? {
            guard case .failure(let e) = final(source) else { XCTFail("expected an error: \(source)", file: file, line: line); return nil }
            return e
        }
        let chain = finalProgram("if x < 3:\n    y = 1\nelif x > 5:\n    y = 2\nelse:\n    y = 3\nz = 0")
        XCTAssertEqual(chain.count, 2)
        guard case .ifElse(let c, let then, let otherwise?) = chain[0].kind, case .comparison(_, ["<"]) = c.kind,
              then.count == 1, case .ifElse(_, _, let last?) = otherwise[0].kind, last.count == 1 else {
            return XCTFail("if/elif/else is one nested statement whose `<` compares")
        }
        // The same AST as the native spelling.
        guard case .modeBlock(let head, let body) = finalProgram("with torch.no_grad():\n    y = x * 2")[0].kind else { return XCTFail() }
        XCTAssertEqual(head.kind, .noGrad)
        XCTAssertEqual(head.spelling, "with torch.no_grad()")
        XCTAssertEqual(body.count, 1)
        guard case .modeBlock(let outer, let inner) = finalProgram("with torch.set_grad_enabled(False), torch.enable_grad():\n    pass")[0].kind,
              case .modeBlock(let second, _) = inner[0].kind else { return XCTFail("several items nest in order") }
        XCTAssertEqual([outer.kind, second.kind], [.setGradEnabled, .enableGrad])
        guard case .withValue = finalProgram("with ctx:\n    pass")[0].kind else { return XCTFail("a variable is checked when it runs") }
        guard case .functionDef(let def) = finalProgram("@torch.no_grad()\ndef f(x):\n    if x:\n        return 1\n    return 2")[0].kind else { return XCTFail() }
        XCTAssertEqual(def.decorators.map(\.kind), [.noGrad])
        XCTAssertEqual(def.body.count, 2)
        guard case .forLoop(_, _, let loopBody, let orElse) = finalProgram("for i in range(3):\n    if i: break\nelse:\n    pass")[0].kind else { return XCTFail() }
        XCTAssertEqual(loopBody.count, 1)
        XCTAssertEqual(orElse.count, 1)
        XCTAssertEqual(finalProgram("if x: y = 1; z = 2").count, 1)
        // A tab counts to the next multiple of 8; the two spellings nest in each other.
        XCTAssertEqual(finalProgram("if x:\n\ty = 1\n        z = 2").count, 1)
        XCTAssertEqual(finalProgram("no_grad <\n    for i in range(2):\n        y = i\n>\nw = 1").count, 2)
        XCTAssertEqual(finalProgram("def f(x):\n    no_grad <\n        y = x\n    >\n    return y").count, 1)
        // Imports, parenthesized across lines.
        guard case .importNames(let names) = finalProgram("from torch.utils.data import (DataLoader,\n    TensorDataset as TD)")[0].kind else { return XCTFail() }
        XCTAssertEqual(names.map(\.name), ["DataLoader", "TD"])
        guard case .importNames(let plain) = finalProgram("import torch.nn as nn, torch.optim")[0].kind else { return XCTFail() }
        XCTAssertEqual(plain.map(\.name), ["nn", "torch"])

        // Python's messages, at Python's places.
        let missing = finalError("if x:\ny = 1")
        XCTAssertEqual(missing?.type, "IndentationError")
        XCTAssertEqual(missing?.message, "expected an indented block after 'if' statement on line 1")
        XCTAssertEqual(missing?.location, SourceLocation(line: 2, column: 1))
        XCTAssertEqual(finalError("def f():\n")?.message, "expected an indented block after function definition on line 1")
        XCTAssertEqual(finalError("x = 1\nwith torch.no_grad():\n# nothing")?.message, "expected an indented block after 'with' statement on line 2")
        let unexpected = finalError("if x:\n    y = 1\n      z = 2")
        XCTAssertEqual(unexpected?.message, "unexpected indent")
        XCTAssertEqual(unexpected?.location, SourceLocation(line: 3, column: 7))
        XCTAssertEqual(finalError("if x:\n    y = 1\n  z = 2")?.message, "unindent does not match any outer indentation level")
        XCTAssertEqual(finalError("break")?.message, "'break' outside loop")
        XCTAssertEqual(finalError("for i in x:\n    def g():\n        continue")?.message, "'continue' not properly in loop")
        XCTAssertTrue(finalError("with open('f') as g:\n    pass")?.message.contains("'as'") == true)
        XCTAssertTrue(finalError("from torch import *")?.message.contains("'*'") == true)

        // f-strings: text, fields with conversions and specs, doubled braces, and errors.
        guard case .expression(let f) = finalProgram("f'a{x!r:>5}{{b}}' 'c'")[0].kind, case .formatted(let parts) = f.kind else { return XCTFail() }
        XCTAssertEqual(parts.count, 3)
        if case .field(let e, let conversion, let spec) = parts[1] {
            XCTAssertEqual(conversion, "r")
            XCTAssertEqual(spec, ">5")
            XCTAssertEqual(e.location, SourceLocation(line: 1, column: 5), "a field's expression is located where it is written")
        } else { XCTFail() }
        XCTAssertEqual(finalError("f'{}'")?.message, "f-string: empty expression not allowed")
        XCTAssertEqual(finalError("f'{a'")?.message, "f-string: expecting '}'")
        XCTAssertEqual(finalError("f'a}'")?.message, "f-string: single '}' is not allowed")
        XCTAssertEqual(finalError("f'{a!x}'")?.message, "f-string: invalid conversion character: expected 's', 'r', or 'a'")
        // Triple-quoted and raw strings.
        XCTAssertFalse(Parser.isComplete("s = \"\"\"first\nsecond"))
        guard case .assign(_, let doc) = finalProgram("s = '''a\nb'''")[0].kind, case .stringLiteral("a\nb") = doc.kind else { return XCTFail() }
        guard case .assign(_, let raw) = finalProgram("s = r'\\d\\n'")[0].kind, case .stringLiteral("\\d\\n") = raw.kind else { return XCTFail() }
    }

    func testSyntaxErrorsHaveLocationsAndLearnerMessages() {
        let e1 = error("x = tensor([1.0 2.0])")
        XCTAssertEqual(e1?.message, "invalid syntax. Perhaps you forgot a comma?")
        XCTAssertEqual(e1?.location, SourceLocation(line: 1, column: 17))
        XCTAssertEqual(error("y = x +* 2")?.location, SourceLocation(line: 1, column: 8))
        XCTAssertTrue(error("elif x < a = 1 >")?.message.contains("elif") == true)
        XCTAssertTrue(error("x = )")!.message.contains("unmatched"))
        XCTAssertTrue(error("x = (]")!.message.contains("does not match"))
        XCTAssertTrue(error(">")!.message.contains("no block is open"))
        XCTAssertTrue(error("1 = x")!.message.contains("cannot assign to literal"))
        XCTAssertTrue(error("f(x) = 1")!.message.contains("function call"))
        XCTAssertTrue(error("f(a=1, 2)")!.message.contains("positional argument follows keyword argument"))
        XCTAssertTrue(error("@foo\ndef f() < >")!.message.contains("unknown decorator"))
        XCTAssertTrue(error("def f(a=1, b) < >")!.message.contains("without a default"))
        XCTAssertTrue(error("x = 1 $ 2")!.message.contains("invalid character"))
        XCTAssertTrue(error("x = 12abc")!.message.contains("invalid decimal literal"))
        XCTAssertTrue(error("x = 99999999999999999999")!.message.contains("too large"))
        let deep = String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500)
        XCTAssertTrue(error(deep)!.message.contains("too many nested"))
        let e2 = error("x = 1\ny = (2 +* 3)")
        XCTAssertEqual(e2?.location?.line, 2)
        switch Parser.parse("a = 1\nb = +* 2", firstLine: 10) {
        case .failure(let e): XCTAssertEqual(e.location?.line, 11)
        default: XCTFail()
        }
    }

    /// A long block is not re-parsed at every line, yet it ends exactly where it ends and
    /// its errors are found: a closing `>` after a comparison, `> else <`, a closer on a
    /// line of its own, and a syntax error deep inside a 300-line block.
    func testLongBlocksEndWhereTheyEnd() {
        func run(_ source: String) -> (results: [String], errors: [GradError]) {
            let session = Session()
            var results: [String] = [], errors: [GradError] = []
            session.run(source: source) { event in
                switch event {
                case .result(_, let target, let v): results.append("\(target ?? "_")=\(Repr.shown(v))")
                case .printed(_, let text): results.append(text)
                case .error(_, let e): errors.append(e)
                default: break
                }
            }
            return (results, errors)
        }
        let body = (0..<300).map { "  c\($0 % 7) = a > b" }.joined(separator: "\n")
        let closedAfterComparison = run("a = 2\nb = 1\nno_grad <\n\(body)\n  d = a > b >\nprint(d, c3)")
        XCTAssertEqual(closedAfterComparison.errors.map(\.description), [])
        XCTAssertEqual(closedAfterComparison.results.suffix(1), ["True True"])
        let withElse = run("a = 2\nb = 1\nif a > b <\n\(body)\n  e = 1\n> else < e = 2 >\nprint(e)")
        XCTAssertEqual(withElse.results.suffix(1), ["1"])
        let broken = (0..<300).map { $0 == 100 ? "  x = = 1" : "  c = a > b" }.joined(separator: "\n")
        let failing = run("a = 2\nb = 1\nno_grad <\n\(broken)\n>\nprint('after')")
        XCTAssertEqual(failing.errors.count, 1)
        XCTAssertEqual(failing.errors.first?.type, "SyntaxError")
        XCTAssertEqual(failing.errors.first?.location?.line, 104)
        XCTAssertEqual(failing.results.suffix(1), ["after"])
    }

    /// An exercise holds asserts, hints and one solution; anything else is a located error.
    func testExerciseBlocks() {
        guard case .program(let p) = Parser.parse("exercise \"t\" <\n  assert a, \"m\"\n  hint \"h1\"\n  hint \"h2\"\n  solution <\n    a = 1\n  >\n>"),
              case .exercise(let e) = p[0].kind else { return XCTFail("not parsed as an exercise") }
        XCTAssertEqual(e.title, "t")
        XCTAssertEqual(e.hints, ["h1", "h2"])
        XCTAssertEqual(e.checks.count, 1)
        XCTAssertEqual(e.solution.count, 1)
        for (source, message) in [
            ("exercise \"t\" <\n  print(1)\n  solution < a = 1 >\n>", "an exercise holds assert checks"),
            ("exercise \"t\" <\n  solution < a = 1 >\n>", "an exercise needs at least one assert check"),
            ("exercise \"t\" <\n  assert a\n>", "an exercise needs a solution"),
            ("exercise \"t\" <\n  assert a\n  solution < a = 1 >\n  solution < a = 2 >\n>", "an exercise has one solution"),
        ] {
            guard case .failure(let error) = Parser.parse(source) else { XCTFail("accepted: \(source)"); continue }
            XCTAssertTrue(error.message.hasPrefix(message), "\(source): \(error.message)")
        }
        // Outside an exercise, hint and solution are ordinary names.
        guard case .program = Parser.parse("hint = 3\nsolution = hint + 1") else { return XCTFail("hint and solution are names") }
        guard case .program = Parser.parse("exercise = 2") else { return XCTFail("exercise is a name") }
    }
}
