import Foundation
import XCTest

/// Every input that ever crashed the fuzz target stays a test: gradsh must answer it.
final class FuzzRegressionTests: XCTestCase {
    func testEveryCrashingInputNowRunsToAnAnswer() throws {
        let dir = Gradsh.testsFolder.appendingPathComponent("Fixtures/fuzz-crashes")
        // Structured crashes (in their own folder) are choices, not programs: their programs
        // are added here as files once found (see README.md in that folder).
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDirectory)
            return exists && !name.hasSuffix(".md") && !isDirectory.boolValue
        }.sorted()
        for name in names {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            let r = try Gradsh.run(["--no-color", "--timeout", "5"], inputData: data)
            XCTAssertTrue([0, 1].contains(r.status), "\(name): exit status \(r.status): \(r.stderr.suffix(300))")
        }
    }
}
