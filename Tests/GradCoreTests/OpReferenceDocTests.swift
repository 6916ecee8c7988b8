import Foundation
import XCTest
import GradCore

/// docs/language.md's op list is generated from the registry; this test fails when the two
/// disagree. `scripts/update-op-docs` rewrites the list (it runs this test with
/// GRADSH_UPDATE_DOCS=1).
final class OpReferenceDocTests: XCTestCase {
    static let begin = "<!-- ops: generated from the op registry by scripts/update-op-docs; do not edit -->\n"
    static let end = "<!-- end of ops -->"

    func testLanguageDocListsEveryOp() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/language.md")
        let doc = try String(contentsOf: url, encoding: .utf8)
        guard let start = doc.range(of: Self.begin), let stop = doc.range(of: Self.end, range: start.upperBound..<doc.endIndex) else {
            return XCTFail("docs/language.md has no generated op list between its markers")
        }
        let generated = OpRegistry.markdownReference()
        if ProcessInfo.processInfo.environment["GRADSH_UPDATE_DOCS"] == "1" {
            let updated = doc.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: generated)
            try updated.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        XCTAssertEqual(String(doc[start.upperBound..<stop.lowerBound]), generated,
                       "docs/language.md's op list is out of date: run scripts/update-op-docs")
    }
}
