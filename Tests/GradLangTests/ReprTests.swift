import Foundation
import GradCore
import XCTest
@testable import GradLang

/// Tensor reprs against what real PyTorch printed for the same expressions
/// (`Fixtures/repr/expected.jsonl`, made by `make_expected.py`).
final class ReprTests: XCTestCase {
    func evaluate(_ source: String) throws -> Value {
        let session = Session()
        var result: Value?
        var failure: GradError?
        session.run(source: "__value = " + source) { event in
            switch event {
            case .result(_, _, let v): result = v
            case .error(_, let e): failure = e
            default: break
            }
        }
        if let failure { throw failure }
        return try XCTUnwrap(result)
    }

    func testTensorReprsMatchPyTorch() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/repr/expected.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 40)
        for line in lines {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: String]
            let expr = obj["expr"]!, expected = obj["repr"]!
            XCTAssertEqual(Repr.shown(try evaluate(expr)), expected, expr)
        }
    }

    func testPythonValueReprs() throws {
        XCTAssertEqual(Repr.pythonFloat(0.1), "0.1")
        XCTAssertEqual(Repr.pythonFloat(1e-5), "1e-05")
        XCTAssertEqual(Repr.pythonFloat(1e16), "1e+16")
        XCTAssertEqual(Repr.pythonFloat(1e15), "1000000000000000.0")
        XCTAssertEqual(Repr.pythonFloat(123.456), "123.456")
        XCTAssertEqual(Repr.pythonFloat(-2.5e-7), "-2.5e-07")
        XCTAssertEqual(Repr.pythonFloat(3), "3.0")
        XCTAssertEqual(Repr.pythonFloat(0.0001), "0.0001")
        XCTAssertEqual(Repr.shown(try evaluate("(2, 3)")), "(2, 3)")
        XCTAssertEqual(Repr.shown(try evaluate("(2,)")), "(2,)")
        XCTAssertEqual(Repr.shown(try evaluate("[1, 'a', None, True]")), "[1, 'a', None, True]")
        XCTAssertEqual(Repr.shown(try evaluate("torch.float32")), "torch.float32")
        XCTAssertEqual(Repr.shown(try evaluate("Sequential(Linear(2, 3), ReLU(), Dropout(0.25))")),
                       "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n  (2): Dropout(p=0.25, inplace=False)\n)")
        XCTAssertEqual(Repr.shown(try evaluate("7 / 2")), "3.5")
        XCTAssertEqual(Repr.shown(try evaluate("range(4)")), "range(0, 4)")
    }
}
