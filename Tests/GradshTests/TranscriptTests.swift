import Foundation
import XCTest

/// Golden transcripts: each `Fixtures/transcripts/NAME.grad` piped into gradsh must print
/// exactly `NAME.out` (standard output and standard error, in order). Re-record on purpose
/// with `GRADSH_RECORD=1 swift test --filter TranscriptTests`.
final class TranscriptTests: XCTestCase {
    static var folder: URL { Gradsh.testsFolder.appendingPathComponent("Fixtures/transcripts") }

    func testTranscripts() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".grad") }.sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            try check(Self.folder.appendingPathComponent(name), arguments: ["--no-color", "--max-memory", "4G"])
        }
    }

    /// The lessons in examples/ with their recorded transcripts, made as handouts are
    /// (`--echo`: each statement above its results and errors).
    func testLessons() throws {
        let folder = Gradsh.testsFolder.deletingLastPathComponent().appendingPathComponent("examples")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".grad") }.sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            try check(folder.appendingPathComponent(name), arguments: ["--echo", "--no-color", "--max-memory", "4G"])
        }
    }

    /// Runs `script` through gradsh and compares with the `.out` beside it.
    func check(_ script: URL, arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let input = try String(contentsOf: script, encoding: .utf8)
        let result = try Gradsh.run(arguments, input: input, environment: ["GRADSH_STABLE_OUTPUT": "1"], mergeOutput: true)
        let expectedURL = script.deletingPathExtension().appendingPathExtension("out")
        if ProcessInfo.processInfo.environment["GRADSH_RECORD"] != nil {
            try result.stdout.write(to: expectedURL, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        if result.stdout != expected {
            let a = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let n = (0..<Swift.min(a.count, b.count)).first { a[$0] != b[$0] } ?? Swift.min(a.count, b.count)
            XCTFail("\(script.lastPathComponent): line \(n + 1) differs:\n  got:      \(n < a.count ? String(a[n]) : "<end>")\n  expected: \(n < b.count ? String(b[n]) : "<end>")", file: file, line: line)
        }
    }
}
