import Foundation
import XCTest

/// Every input that ever crashed the fuzz target stays a test: gradsh must answer it.
final class FuzzRegressionTests: XCTestCase {
    func testEveryCrashingInputNowRunsToAnAnswer() throws {
        let dir = Gradsh.testsFolder.appendingPathComponent("Fixtures/fuzz-crashes")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix(".md") }.sorted()
        for name in names {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            let r = try Gradsh.run(["--no-color", "--timeout", "5"], inputData: data)
            XCTAssertTrue([0, 1].contains(r.status), "\(name): exit status \(r.status): \(r.stderr.suffix(300))")
        }
    }
}
