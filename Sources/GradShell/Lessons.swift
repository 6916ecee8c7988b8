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

/// A lesson: a script with a number and a one-line summary (its first comment line).
package struct Lesson {
    package let number: Int
    package let name: String
    package let summary: String
    package let text: String

    init?(name: String, text: String) {
        guard name.hasSuffix(".grad"), let number = Int(name.prefix { $0.isNumber }) else { return nil }
        self.number = number
        self.name = name
        self.text = text
        let first = text.split(separator: "\n").first.map(String.init) ?? ""
        var summary = first.hasPrefix("#") ? first.dropFirst().trimmingCharacters(in: .whitespaces) : name
        // "Lesson 3: evaluating a model" is listed as "3  evaluating a model".
        for mark in [":", "."] where summary.hasPrefix("Lesson \(number)\(mark) ") {
            summary = summary.dropFirst("Lesson \(number)\(mark) ".count).trimmingCharacters(in: .whitespaces)
        }
        self.summary = summary
    }
}

/// The lessons: those built into the binary (the files in `examples/`), or a teacher's own
/// folder of numbered `.grad` files named by `GRADSH_LESSONS`.
package enum Lessons {
    package static func all() -> [Lesson] {
        if let folder = ProcessInfo.processInfo.environment["GRADSH_LESSONS"], !folder.isEmpty {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return names.sorted().compactMap { name in
                guard let text = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8) else { return nil }
                return Lesson(name: name, text: text)
            }
        }
        return BuiltinLessons.files.compactMap { Lesson(name: $0.name, text: $0.text) }
    }

    /// The lessons built into this binary, by file name, for checking against `examples/`.
    package static var builtIn: [(name: String, text: String)] { BuiltinLessons.files }
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
