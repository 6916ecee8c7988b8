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
    /// A line that carries on the statement above it at the same indentation.
    private static func continuesBlock(_ trimmed: String) -> Bool {
        ["else", "elif", "except", "finally", ">", ")", "]", "}"].contains { trimmed.hasPrefix($0) }
    }

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
            // A line at the left margin after an indented Python block (not its `else:`,
            // `except:` or the like) starts a new step: the block ended at the line before.
            if !code.isEmpty, let first = line.first, !first.isWhitespace, !continuesBlock(trimmed),
               case .program = Parser.parse(code.joined(separator: "\n"), final: true) {
                // Blank lines that ended the block are space before the next step.
                var blanks: [String] = []
                while let last = code.last, last.trimmingCharacters(in: .whitespaces).isEmpty { blanks.insert(code.removeLast(), at: 0) }
                steps.append(ScriptStep(narrative: narrative, code: code))
                narrative = blanks
                code = []
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
/// `q` quits, `b` shows the previous step again, and any other line (`:why p`, `x.grad`,
/// a whole block) runs as typed, in the same variables, before the step waits again.
/// `next(prompt)` supplies the lines typed (Enter is an empty line).
final class StepRunner {
    let runner: ScriptRunner
    let prompt: () -> String
    let next: (String) -> String?
    /// Whether the key source echoes Enter itself (a terminal does; a pipe does not).
    let keysEchoNewline: Bool
    /// What the user types between steps runs here: the lesson's variables, its own line
    /// numbers (so the lesson's errors still point at the lesson's lines).
    private lazy var typed: ScriptRunner = {
        let r = ScriptRunner(session: Session(interpreter: runner.session.interpreter),
                             renderer: runner.renderer.child(sourceName: "<stdin>"), bail: false)
        r.stopsOnInterrupt = false
        return r
    }()

    init(runner: ScriptRunner, prompt: @escaping () -> String, next: @escaping (String) -> String?,
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
        let transcript = renderer.transcript
        /// Where each step that ran begins and ends in the transcript, for `b`.
        var shownSteps: [Range<Int>] = []
        for (i, step) in steps.enumerated() where !runner.quitRequested {
            let start = transcript.count
            for line in step.narrative {
                renderer.showNarrative(line, session: runner.session)
                runner.session.feed(line) { runner.handle($0) }
            }
            guard !step.code.isEmpty else { continue }
            if keysAnswerExercises, let exercise = Self.exercise(in: step.code) {
                let start = transcript.count
                guard askExercise(exercise) else { return false }
                // The lesson's own lines go on being numbered as in its file.
                for _ in step.code { runner.session.feed("") { runner.handle($0) } }
                shownSteps.append(start..<transcript.count)
                continue
            }
            let firstStep = i == 0 || steps[..<i].allSatisfy({ $0.code.isEmpty })
            var help = firstStep ? "   (Enter: run it, q: quit, b: previous step, or type any statement)" : ""
            while true {
                let shown = step.code.enumerated().map { ($0.offset == 0 ? prompt() : "... ") + $0.element }.joined(separator: "\n")
                Renderer.standardOutput(shown + renderer.dim(help) + " ")
                let key = next("")
                if !keysEchoNewline { Renderer.standardOutput("\n") }
                guard let key else { return false }
                let word = key.trimmingCharacters(in: .whitespaces)
                if word.isEmpty { break }
                if word.lowercased() == "q" { return false }
                if word.lowercased() == "b" {
                    replay(shownSteps.last, transcript: transcript)
                } else if !runTyped(key) {
                    return false
                }
                help = "   (Enter runs it)"
            }
            let ranFrom = transcript.count
            step.code.forEach { transcript.append(.input($0)) }
            for line in step.code { runner.session.feed(line) { runner.handle($0) } }
            shownSteps.append(Swift.min(start, ranFrom)..<transcript.count)
            if runner.quitRequested { return false }
        }
        runner.session.finish { runner.handle($0) }
        return true
    }

    /// Exercises are asked, not run, when a person is there to answer (a terminal, or keys
    /// given on purpose); a lesson run without one shows the solution being checked.
    var keysAnswerExercises = true

    /// The exercise a step holds, if it is one.
    static func exercise(in code: [String]) -> Exercise? {
        guard case .program(let program) = Parser.parse(code.joined(separator: "\n"), final: true), program.count == 1,
              case .exercise(let exercise) = program[0].kind else { return nil }
        return exercise
    }

    /// Asks an exercise: the learner types statements (in the lesson's variables) until its
    /// checks pass; each miss says what is still wrong, the second one adds the hint. `?`
    /// gives the hint, `s` runs the solution, `q` quits. False if the user quit.
    private func askExercise(_ exercise: Exercise) -> Bool {
        let renderer = runner.renderer
        let interpreter = runner.session.interpreter
        renderer.showNarrative("# exercise: \(exercise.title)", session: runner.session)
        Renderer.standardOutput(renderer.dim("(type statements until it is done; ? gives a hint, s shows the solution, q quits)") + "\n")
        var misses = 0
        var hintsGiven = 0
        func giveHint() {
            guard !exercise.hints.isEmpty else { say("no hint for this one: s shows the solution"); return }
            say("hint: " + exercise.hints[Swift.min(hintsGiven, exercise.hints.count - 1)])
            hintsGiven += 1
        }
        func say(_ text: String) {
            runner.renderer.render(.printed(line: 0, text: renderer.wrapped(text, indent: "  ")), session: runner.session)
        }
        while true {
            guard let line = next("exercise> ") else { return false }
            if !keysEchoNewline { Renderer.standardOutput("\n") }
            let word = line.trimmingCharacters(in: .whitespaces)
            switch word {
            case "": Renderer.standardOutput(renderer.dim("exercise: \(exercise.title)") + "\n"); continue
            case "q", "Q": return false
            case "?": giveHint(); continue
            case "s", "S":
                say("the solution:")
                interpreter.runSolution(exercise) { self.typed.handle($0) }
                let failed = interpreter.failedChecks(exercise)
                say(failed.isEmpty ? "solved: \(Interpreter.checkCount(exercise))" : "still wrong: \(failed[0])")
                return true
            default: break
            }
            guard runTyped(line) else { return false }
            if word.hasPrefix(":") { continue }
            let failed = interpreter.failedChecks(exercise)
            if failed.isEmpty {
                say("correct: \(Interpreter.checkCount(exercise))")
                return true
            }
            misses += 1
            say("not yet: \(failed[0])")
            if misses == 2 || (misses > 2 && hintsGiven == 0) { giveHint() }
        }
    }

    /// Runs what the user typed at a step (a block's further lines are asked for); false
    /// when it was `:quit` or the input ended.
    private func runTyped(_ first: String) -> Bool {
        typed.feed(first)
        while typed.session.isGathering {
            guard let line = next("...> ") else {
                typed.session.cancelPending()
                return false
            }
            if !keysEchoNewline { Renderer.standardOutput("\n") }
            typed.feed(line)
        }
        return !typed.quitRequested
    }

    /// Shows the previous step again, as it was: its story, its code and what it printed.
    private func replay(_ range: Range<Int>?, transcript: Transcript) {
        let renderer = runner.renderer
        guard let range else {
            Renderer.standardOutput(renderer.dim("(no step has run yet)") + "\n")
            return
        }
        Renderer.standardOutput(renderer.dim("(the previous step again)") + "\n")
        var code: [String] = []
        func flushCode() {
            if !code.isEmpty {
                Renderer.standardOutput(code.enumerated().map { ($0.offset == 0 ? "> " : "... ") + $0.element }.joined(separator: "\n") + "\n")
            }
            code = []
        }
        for entry in transcript.entries(from: range.lowerBound, to: range.upperBound) {
            if case .input(let line) = entry { code.append(line); continue }
            flushCode()
            switch entry {
            case .narrative(let line): Renderer.standardOutput(renderer.dim(line) + "\n")
            case .picture(let drawing, _): Renderer.standardOutput(drawing + "\n")
            default:
                let text = Handout.outputText(entry)
                if !text.isEmpty { Renderer.standardOutput(text + "\n") }
            }
        }
        flushCode()
    }
}
