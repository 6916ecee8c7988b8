import Foundation
import XCTest

/// Real PyTorch tutorial and documentation snippets, run as pasted (`gradsh --quiet
/// NAME.py`), their output compared token by token with what PyTorch printed
/// (`NAME.expected.txt`), as the shared tutorials check does: numbers within rtol 1e-4 /
/// atol 1e-5 (or one unit in a 4-8 decimal last digit), other text exactly, whitespace
/// and object addresses ignored.
final class TutorialTests: XCTestCase {
    static let folder = "Fixtures/tutorials"

    /// Snippets that need what gradsh does not have yet, with what that is. Each must still
    /// fail (so one that starts passing is noticed and taken off the list).
    static let pending: [String: String] = [
        "autogradqs_computing_gradients": "binary_cross_entropy_with_logits",
        "nn_tutorial_from_scratch": "torch.Size",
        "quickstart_train_test": "nn.Flatten, torch.Size",
        "tensor_register_hook": "register_hook",
        "transfer_learning_train_model": "lr_scheduler, optimizer parameter groups",
    ]

    func testTutorialsPrintWhatPyTorchPrints() throws {
        let dir = Gradsh.testsFolder.appendingPathComponent(Self.folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".py") }.map { String($0.dropLast(3)) }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 15)
        var passed = 0
        for name in names {
            let expected = try String(contentsOf: dir.appendingPathComponent(name + ".expected.txt"), encoding: .utf8)
            let result = try Gradsh.run(["--quiet", "--no-color", dir.appendingPathComponent(name + ".py").path],
                                        environment: ["GRADSH_STABLE_OUTPUT": "1"])
            var failure = Self.difference(expected: expected, got: result.stdout)
            if failure == nil && result.status != 0 {
                failure = "exit status \(result.status): \(result.stderr.prefix(300))"
            }
            if let reason = Self.pending[name] {
                XCTAssertNotNil(failure, "\(name) now passes: take it off `pending` (it needed \(reason))")
            } else if let failure {
                XCTFail("\(name): \(failure)")
            } else {
                passed += 1
            }
        }
        XCTAssertEqual(passed, names.count - Self.pending.count)
    }

    // MARK: comparison, as the shared check.py does it

    /// A number not glued to a name (`MulBackward0`, `float32` stay text).
    private static let number = try! NSRegularExpression(
        pattern: #"(?<![A-Za-z0-9_.])[-+]?(?:nan|inf|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)(?![A-Za-z0-9_])"#)
    private static let address = try! NSRegularExpression(pattern: #" at 0x[0-9a-fA-F]+>"#)

    enum Token: Equatable {
        case number(String)
        case text(String)
    }

    static func tokens(_ output: String) -> [Token] {
        var out: [Token] = []
        for raw in output.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = address.stringByReplacingMatches(in: String(raw), range: NSRange(raw.startIndex..., in: raw), withTemplate: ">")
            let ns = line as NSString
            var pos = 0
            for m in number.matches(in: line, range: NSRange(location: 0, length: ns.length)) {
                out += ns.substring(with: NSRange(location: pos, length: m.range.location - pos)).split(whereSeparator: \.isWhitespace).map { .text(String($0)) }
                out.append(.number(ns.substring(with: m.range)))
                pos = m.range.location + m.range.length
            }
            out += ns.substring(from: pos).split(whereSeparator: \.isWhitespace).map { .text(String($0)) }
        }
        return out
    }

    /// One unit in the last digit of a number printed with 4 to 8 decimals, else 0.
    static func lastPlace(_ token: String) -> Double {
        let parts = token.lowercased().split(separator: "e", maxSplits: 1)
        guard let dot = parts[0].firstIndex(of: ".") else { return 0 }
        let decimals = parts[0][parts[0].index(after: dot)...]
        guard (4...8).contains(decimals.count), decimals.allSatisfy(\.isNumber) else { return 0 }
        let exponent = parts.count > 1 ? Int(parts[1].replacingOccurrences(of: "+", with: "")) ?? 0 : 0
        return pow(10, Double(exponent - decimals.count))
    }

    static func close(_ expected: String, _ got: String) -> Bool {
        guard let x = Double(expected.replacingOccurrences(of: "+", with: "")), let y = Double(got.replacingOccurrences(of: "+", with: "")) else {
            return expected == got
        }
        if x.isNaN || y.isNaN { return x.isNaN && y.isNaN }
        if x.isInfinite || y.isInfinite { return x == y }
        if abs(x - y) <= max(1e-4 * max(abs(x), abs(y)), 1e-5) { return true }
        return abs(x - y) <= lastPlace(expected) * 1.000001
    }

    /// Nil when the outputs agree, else the first difference.
    static func difference(expected: String, got: String) -> String? {
        let e = tokens(expected), g = tokens(got)
        for i in 0..<max(e.count, g.count) {
            guard i < g.count else { return "output ends early; expected \(e[i]) next" }
            guard i < e.count else { return "extra output \(g[i])" }
            switch (e[i], g[i]) {
            case (.number(let a), .number(let b)) where close(a, b): continue
            case (.text(let a), .text(let b)) where a == b: continue
            default: return "got \(g[i]), expected \(e[i]) (token \(i + 1))"
            }
        }
        return nil
    }
}
