import Foundation

/// Graphviz's `dot`, when it is installed: renders DOT text to SVG or PNG.
enum Graphviz {
    static let installHint = "install Graphviz with: apt-get install graphviz"

    static var executable: String? { findExecutable("dot") }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    enum Failure: Error {
        case notInstalled
        case failed(String)
    }

    /// The rendered bytes in `format` (`svg` or `png`).
    static func render(_ dot: String, format: String) -> Result<Data, Failure> {
        guard let tool = executable else { return .failure(.notInstalled) }
        // Files both ways: no pipe to fill while the other end waits.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-dot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("graph.dot"), target = folder.appendingPathComponent("graph.\(format)")
        let errorFile = folder.appendingPathComponent("errors.txt")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try dot.write(to: source, atomically: false, encoding: .utf8)
            _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["-T\(format)", source.path, "-o", target.path]
            process.standardError = try FileHandle(forWritingTo: errorFile)
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let message = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
                return .failure(.failed(message.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            return .success(try Data(contentsOf: target))
        } catch {
            return .failure(.failed(error.localizedDescription))
        }
    }
}
