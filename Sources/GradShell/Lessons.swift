import Foundation
import GradCore
import GradLang

/// A script cut into the pieces step mode and `--echo` show one at a time: each complete
/// chunk of code, with the comment lines just before it as its narrative.
struct ScriptStep {
    var narrative: [String]
    var code: [String]
}

enum ScriptSteps {
    static func split(_ text: String) -> [ScriptStep] {
        var steps: [ScriptStep] = []
        var narrative: [String] = []
        var code: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if code.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("#")) {
                narrative.append(line)
                continue
            }
            code.append(line)
            let chunk = code.joined(separator: "\n")
            if trimmed.hasPrefix(":") && code.count == 1 || Parser.isComplete(chunk) {
                steps.append(ScriptStep(narrative: narrative, code: code))
                narrative = []
                code = []
            }
        }
        if !code.isEmpty || narrative.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            steps.append(ScriptStep(narrative: narrative, code: code))
        }
        return steps
    }
}

/// The lessons in `examples/`, found beside the executable (a build in `.build/...`), in
/// `GRADSH_LESSONS`, or in the current folder.
package enum Lessons {
    package static var directory: URL? {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["GRADSH_LESSONS"] { candidates.append(URL(fileURLWithPath: env)) }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var dir = exe
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("examples"))
            candidates.append(dir.appendingPathComponent("share/gradsh/examples"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("examples"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("01_graphs.grad").path) }
    }

    /// (number, file, one-line summary) of every lesson.
    package static func all() -> [(Int, URL, String)] {
        guard let dir = directory, let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return names.filter { $0.hasSuffix(".grad") }.sorted().compactMap { name in
            guard let number = Int(name.prefix { $0.isNumber }) else { return nil }
            let url = dir.appendingPathComponent(name)
            let first = (try? String(contentsOf: url, encoding: .utf8))?.split(separator: "\n").first.map(String.init) ?? ""
            let summary = first.hasPrefix("#") ? first.dropFirst().trimmingCharacters(in: .whitespaces) : name
            return (number, url, summary)
        }
    }
}

/// Step mode: shows the next statement, waits for Enter, runs it and shows the result;
/// `q` quits. `next()` supplies the key lines (Enter is an empty line).
final class StepRunner {
    let runner: ScriptRunner
    let prompt: () -> String
    let next: () -> String?
    /// Whether the key source echoes Enter itself (a terminal does; a pipe does not).
    let keysEchoNewline: Bool

    init(runner: ScriptRunner, prompt: @escaping () -> String, next: @escaping () -> String?,
         keysEchoNewline: Bool = isatty(STDIN_FILENO) != 0) {
        self.runner = runner
        self.prompt = prompt
        self.next = next
        self.keysEchoNewline = keysEchoNewline
    }

    /// Returns false if the user quit.
    @discardableResult
    func run(_ text: String) -> Bool {
        let steps = ScriptSteps.split(text)
        let renderer = runner.renderer
        for (i, step) in steps.enumerated() where !runner.quitRequested {
            for line in step.narrative {
                renderer.render(.printed(line: 0, text: renderer.dim(line)), session: runner.session)
                runner.session.feed(line) { runner.handle($0) }
            }
            guard !step.code.isEmpty else { continue }
            let shown = step.code.enumerated().map { ($0.offset == 0 ? prompt() : "... ") + $0.element }.joined(separator: "\n")
            let help = i == 0 || steps[..<i].allSatisfy({ $0.code.isEmpty }) ? "   (Enter runs it, q quits)" : ""
            Renderer.standardOutput(shown + renderer.dim(help) + " ")
            let key = next()
            if !keysEchoNewline { Renderer.standardOutput("\n") }
            if key == nil || key!.trimmingCharacters(in: .whitespaces).lowercased() == "q" { return false }
            for line in step.code { runner.session.feed(line) { runner.handle($0) } }
            if runner.quitRequested { return false }
        }
        runner.session.finish { runner.handle($0) }
        return true
    }
}
