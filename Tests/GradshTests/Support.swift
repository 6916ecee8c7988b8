import Foundation
import XCTest

/// Helpers for tests that drive the real `gradsh` binary, the way users and scripts do.
enum Gradsh {
    /// The built executable, beside the test bundle in the build folder.
    static var binary: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("gradsh").path) && dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("gradsh")
    }

    /// A lesson of one exercise, for the step-mode tests.
    static let exerciseLesson = """
    x = tensor([1.0, 2.0], requires_grad=True)
    exercise "Make z = x * 2 without a graph" <
        assert allclose(z, x * 2), "z should equal x * 2"
        assert z.grad_fn is None, "z carries a graph"
        hint "wrap it in no_grad < ... >"
        solution < no_grad < z = x * 2 > >
    >
    after = 1
    """

    /// The repository's Tests folder.
    static var testsFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    }

    struct Result {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// Runs gradsh with `arguments`, feeding `input` on standard input.
    static func run(_ arguments: [String], input: String = "", environment: [String: String] = [:],
                    mergeOutput: Bool = false, binary: URL = Gradsh.binary, directory: URL? = nil) throws -> Result {
        try run(arguments, inputData: Data(input.utf8), environment: environment, mergeOutput: mergeOutput, binary: binary, directory: directory)
    }

    /// Runs gradsh with `arguments`, feeding raw bytes on standard input.
    static func run(_ arguments: [String], inputData: Data, environment: [String: String] = [:],
                    mergeOutput: Bool = false, binary: URL = Gradsh.binary, directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-out-\(UUID().uuidString)")
        let errTmp = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: tmp.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errTmp.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: tmp), errHandle = try FileHandle(forWritingTo: errTmp)
        process.standardOutput = outHandle
        process.standardError = mergeOutput ? outHandle : errHandle
        _ = stdout; _ = stderr
        try process.run()
        stdin.fileHandleForWriting.write(inputData)
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        try outHandle.close(); try errHandle.close()
        defer {
            try? FileManager.default.removeItem(at: tmp)
            try? FileManager.default.removeItem(at: errTmp)
        }
        return Result(stdout: String(decoding: try Data(contentsOf: tmp), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errTmp), as: UTF8.self),
                      status: process.terminationStatus)
    }
}
