import Dispatch
import Foundation
import GradCore
import GradFuzzing
import XCTest
@testable import GradLang

/// The structured fuzzer's programs, as a property test: every builtin, method, operator
/// and format directive called with adversarial arguments. Nothing may crash, every error
/// must be a Python exception with a location in the statement, a failed statement must
/// leave the grad mode as it was, and the statement time limit must stop everything.
final class AdversarialCallTests: XCTestCase {
    override func setUp() { MemoryBudget.bytes = 64 << 20 }
    override func tearDown() {
        MemoryBudget.bytes = MemoryBudget.defaultBytes
        GradModeState.reset()
    }

    func testEveryCallableSurvivesAdversarialArguments() {
        var statements = 0, errors = 0
        // GRADSH_ADVERSARIAL_SEEDS=N (and GRADSH_ADVERSARIAL_FIRST) runs longer searches.
        let environment = ProcessInfo.processInfo.environment
        let first = environment["GRADSH_ADVERSARIAL_FIRST"].flatMap { Int($0) } ?? 0
        let seeds = environment["GRADSH_ADVERSARIAL_SEEDS"].flatMap { Int($0) } ?? 400
        for seed in first..<(first + seeds) {
            GradModeState.reset()
            DefaultGenerator.seed(Int64(seed))
            var c = PropertyTests.Choices(state: UInt64(seed) &* 7919 &+ 3)
            let session = Session()
            session.interpreter.statementTimeLimit = 0.05
            var preludeErrors: [String] = []
            session.run(source: AdversarialProgram.prelude) { event in
                if case .error(_, let e) = event { preludeErrors.append(e.description) }
            }
            XCTAssertEqual(preludeErrors, [])
            for _ in 0..<40 {
                let text = AdversarialProgram.statement { c.next($0) }
                if let trace = ProcessInfo.processInfo.environment["GRADSH_TRACE"] {
                    try? (text + "\n").appendLine(to: trace)
                }
                let modeBefore = GradModeState.current
                var failures: [(line: Int, error: GradError)] = []
                let start = DispatchTime.now().uptimeNanoseconds
                session.run(source: text) { event in if case .error(let line, let e) = event { failures.append((line, e)) } }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                XCTAssertLessThan(seconds, 5, "ignored the statement time limit: \(text)")
                // A statement may span lines (Python's blocks): its errors are on its lines.
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                for (line, e) in failures {
                    XCTAssertTrue(Self.isPythonExceptionName(e.type), "\(e.type) from \(text)")
                    let location = e.location
                    XCTAssertNotNil(location, "no location: \(e) from \(text)")
                    if let location {
                        // An error inside a function or class defined earlier is located
                        // there, at a line of the session before this statement.
                        let first = session.nextLineNumber - lines.count
                        XCTAssertTrue((1..<session.nextLineNumber).contains(location.line), "\(e) at line \(location.line), event line \(line), from \(text)")
                        XCTAssertTrue((first..<session.nextLineNumber).contains(line), "event line \(line) from \(text)")
                        let width = session.sourceLine(location.line)?.utf8.count ?? 0
                        XCTAssertTrue((1...width + 1).contains(location.column), "column \(location.column): \(e) from \(text)")
                    }
                }
                if !failures.isEmpty { XCTAssertEqual(GradModeState.current, modeBefore, "grad mode after: \(text)") }
                statements += 1
                errors += failures.count
            }
        }
        XCTAssertGreaterThan(errors, statements / 4)
    }

    static func isPythonExceptionName(_ name: String) -> Bool {
        guard let first = name.first, first.isUppercase, name.allSatisfy({ $0.isLetter }) else { return false }
        return name.hasSuffix("Error") || name.hasSuffix("Exception") || name == "KeyboardInterrupt" || name == "StopIteration"
    }
}

extension String {
    func appendLine(to path: String) throws {
        if let h = FileHandle(forWritingAtPath: path) { h.seekToEndOfFile(); h.write(Data(utf8)); h.closeFile() }
        else { try write(toFile: path, atomically: false, encoding: .utf8) }
    }
}
