import Foundation
import XCTest

/// Runs every conformance case (`NAME.grad` beside what PyTorch produced for the same
/// program, `NAME.expected.jsonl`) through `gradsh --json`, comparing as
/// `conformance/check.py` does: values within rtol 1e-4 / atol 1e-5, errors by type and by
/// the quoted lead phrase when the case gives one.
final class ConformanceTests: XCTestCase {
    static let folders = ["Fixtures/conformance", "Fixtures/cases"]

    /// Shared cases written before LANGUAGE.md section 3a made Python's block syntax part
    /// of the language, whose expectations LANGUAGE.md now contradicts (their .torch.py
    /// raises the old SyntaxError by hand rather than running the program). Each must still
    /// differ, so a corrected case is noticed and taken off this list; the own case named
    /// checks what gradsh does instead, with expectations from real PyTorch.
    static let contradictedByLanguageContract: [String: String] = [
        // `with torch.no_grad():` over an unindented line: Python's IndentationError at
        // line 3, not "use no_grad < ... >" at line 2 with line 3 run outside the block.
        "errors_002_python_with_statement": "gradsh_045_python_blocks",
    ]

    func testEveryCase() throws {
        var ran = 0
        for folder in Self.folders {
            let dir = Gradsh.testsFolder.appendingPathComponent(folder)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names.sorted() where name.hasSuffix(".grad") {
                let base = String(name.dropLast(5))
                let program = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
                let expectedText = try String(contentsOf: dir.appendingPathComponent(base + ".expected.jsonl"), encoding: .utf8)
                let expected = try expectedText.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
                let result = try Gradsh.run(["--json"], input: program)
                XCTAssertTrue((0...2).contains(result.status), "\(base): exit status \(result.status): \(result.stderr.suffix(300))")
                let got = try result.stdout.split(separator: "\n").map { line -> [String: Any] in
                    guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                        throw NSError(domain: "conformance", code: 1, userInfo: [NSLocalizedDescriptionKey: "not a JSON object: \(line)"])
                    }
                    return obj
                }
                let difference = Self.difference(expected, got)
                if let replacement = Self.contradictedByLanguageContract[base] {
                    XCTAssertNotNil(difference, "\(base) now passes: take it off contradictedByLanguageContract")
                    XCTAssertTrue(names.contains(replacement + ".grad") || FileManager.default.fileExists(
                        atPath: Gradsh.testsFolder.appendingPathComponent("Fixtures/cases/\(replacement).grad").path))
                } else if let difference {
                    XCTFail("\(base): \(difference)")
                }
                ran += 1
            }
        }
        XCTAssertGreaterThan(ran, 100)
    }

    static func difference(_ expected: [[String: Any]], _ got: [[String: Any]]) -> String? {
        for (n, exp) in expected.enumerated() {
            guard n < got.count else { return "event \(n + 1): missing, expected \(exp)" }
            let g = got[n]
            let whereText = "event \(n + 1) (line \(exp["line"] ?? "?"))"
            if (g["line"] as? Int) != (exp["line"] as? Int) { return "\(whereText): line \(g["line"] ?? "nil"), got \(g)" }
            if let e = exp["error"] as? [String: Any] {
                guard let ge = g["error"] as? [String: Any] else { return "\(whereText): expected error \(e), got \(g)" }
                if (ge["type"] as? String) != (e["type"] as? String) { return "\(whereText): error type \(ge["type"] ?? ""), expected \(e["type"] ?? "")" }
                if let match = e["match"] as? String, !((ge["message"] as? String) ?? "").contains(match) {
                    return "\(whereText): error message \(ge["message"] ?? "") lacks \(match)"
                }
            } else if let p = exp["print"] as? String {
                if (g["print"] as? String) != p { return "\(whereText): print \(g["print"] ?? "nil"), expected \(p)" }
            } else {
                if g["error"] != nil { return "\(whereText): unexpected error \(g["error"]!)" }
                if (g["target"] as? String) != (exp["target"] as? String) { return "\(whereText): target \(g["target"] ?? "nil")" }
                if let d = valueDifference(exp["value"] as? [String: Any] ?? [:], g["value"] as? [String: Any] ?? [:], whereText) { return d }
            }
        }
        if got.count > expected.count { return "unexpected extra event \(got[expected.count])" }
        return nil
    }

    static func valueDifference(_ e: [String: Any], _ g: [String: Any], _ whereText: String) -> String? {
        guard (e["type"] as? String) == (g["type"] as? String) else { return "\(whereText): type \(g["type"] ?? ""), expected \(e["type"] ?? "")" }
        switch e["type"] as? String {
        case "tensor":
            for k in ["dtype", "shape", "requires_grad", "is_leaf", "grad_fn", "is_inference", "version"] {
                if !same(e[k], g[k]) { return "\(whereText): \(k) \(g[k] ?? "nil"), expected \(e[k] ?? "nil")" }
            }
            if (e["data"] as? String) != "*" && !sameData(e["data"], g["data"]) { return "\(whereText): data \(g["data"] ?? ""), expected \(e["data"] ?? "")" }
        case "int", "bool", "str":
            if !same(e["value"], g["value"]) { return "\(whereText): value \(g["value"] ?? ""), expected \(e["value"] ?? "")" }
        case "float":
            if !close(e["value"], g["value"]) { return "\(whereText): value \(g["value"] ?? ""), expected \(e["value"] ?? "")" }
        case "tuple", "list":
            let ei = e["items"] as? [[String: Any]] ?? [], gi = g["items"] as? [[String: Any]] ?? []
            if ei.count != gi.count { return "\(whereText): \(gi.count) items, expected \(ei.count)" }
            for (a, b) in zip(ei, gi) { if let d = valueDifference(a, b, whereText) { return d } }
        default: break
        }
        return nil
    }

    static func same(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil), (is NSNull, is NSNull), (nil, is NSNull), (is NSNull, nil): return true
        case (let x as NSNumber, let y as NSNumber): return x == y
        case (let x as String, let y as String): return x == y
        case (let x as [Any], let y as [Any]): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        default: return false
        }
    }

    static func close(_ a: Any?, _ b: Any?) -> Bool {
        if let x = a as? String { return (b as? String) == x }
        guard let x = (a as? NSNumber)?.doubleValue, let y = (b as? NSNumber)?.doubleValue else { return false }
        return Swift.abs(x - y) <= Swift.max(1e-4 * Swift.max(Swift.abs(x), Swift.abs(y)), 1e-5)
    }

    static func sameData(_ a: Any?, _ b: Any?) -> Bool {
        if let x = a as? [Any] {
            guard let y = b as? [Any], x.count == y.count else { return false }
            return zip(x, y).allSatisfy { sameData($0, $1) }
        }
        if b is [Any] { return false }
        return close(a, b)
    }
}
