import Foundation
import GradCore
import GradLang

/// Runs a script (a file, standard input or `-c` code) through a session, rendering each
/// event as it happens and carrying out colon commands. No prompts, no banner.
package final class ScriptRunner {
    package let renderer: Renderer
    package let bail: Bool
    package let session: Session
    let commands: ShellCommands
    private(set) var quitRequested = false
    private var stopped = false
    /// A script stops at Ctrl-C as Python does (the interrupted statement undone and
    /// reported as KeyboardInterrupt); the interactive prompt goes on instead.
    var stopsOnInterrupt = true
    /// Set when Ctrl-C stopped the run: the exit status is then 130.
    package private(set) var interrupted = false
    /// The files being run by `:load` around this runner, outermost first (resolved paths):
    /// a file that loads itself, directly or through others, is refused instead of
    /// recursing until the stack runs out.
    private var loading: [String] = []

    /// This runner runs `path` itself (the file given on the command line).
    func runsFile(_ path: String) {
        loading = [Self.resolved(path)]
    }

    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    package init(session: Session, renderer: Renderer, bail: Bool) {
        self.session = session
        self.renderer = renderer
        self.bail = bail
        commands = ShellCommands(session: session, renderer: renderer)
        commands.load = { [unowned self] file, line in self.load(file, line: line) }
        commands.lesson = { [unowned self] lesson in
            let lessonRunner = ScriptRunner(session: Session(interpreter: self.session.interpreter),
                                            renderer: self.renderer.child(sourceName: lesson.name), bail: false)
            let stepper = StepRunner(runner: lessonRunner, prompt: { InteractiveShell.modePrompt(color: self.renderer.color) },
                                     next: self.commands.stepInput)
            stepper.keysAnswerExercises = self.commands.stepInputIsPerson
            stepper.run(lesson.text)
        }
    }

    /// Whether lines read go into the transcript (a `:load`ed file's do not: the handout
    /// shows the `:load` line and what it printed).
    var recordsInput = true

    /// Runs one line of input: recorded for the handout, then fed to the session.
    func feed(_ line: String) {
        if recordsInput { renderer.transcript.append(.input(line)) }
        session.feed(line) { handle($0) }
    }

    /// Handles one event of the session: renders it, or carries out a command.
    func handle(_ event: SessionEvent) {
        if case .command(let line, let text) = event {
            if commands.run(text, line: line) == .quit { quitRequested = true; stopped = true }
            return
        }
        renderer.render(event, session: session)
        if case .error(_, let e) = event {
            if bail { stopped = true }
            if e.type == "KeyboardInterrupt" && stopsOnInterrupt { interrupted = true; stopped = true }
        }
    }

    /// Ctrl-C that came while no statement ran (waiting for input, between statements):
    /// reported as Python reports it, at the next line.
    private func reportPendingInterrupt() {
        guard stopsOnInterrupt, !interrupted, Interruption.take() == .keyboard else { return }
        let line = session.nextLineNumber
        renderer.render(.error(line: line, GradError("KeyboardInterrupt", "interrupted; the rest of the input was not run",
                                                     at: SourceLocation(line: line, column: 1))), session: session)
        interrupted = true
        stopped = true
    }

    /// `--echo`: each statement is printed, after a mode prompt, before its results.
    package var echo = false

    /// Runs a whole text; with `echo`, statement by statement with comments and prompts.
    @discardableResult
    package func run(text: String) -> Int {
        guard echo else {
            var lines = ByteLines(data: Data(text.utf8))
            return run(bytes: &lines)
        }
        for step in ScriptSteps.split(text) where !stopped {
            for line in step.narrative {
                renderer.showNarrative(line, session: session)
                session.feed(line) { handle($0) }
            }
            if step.code.isEmpty { continue }
            renderer.showInput(step.code, prompt: InteractiveShell.modePrompt(color: renderer.color), session: session)
            for line in step.code where !stopped { session.feed(line) { handle($0) } }
        }
        if !stopped { session.finish { handle($0) } }
        return renderer.errorCount
    }

    /// Feeds lines from `next` until it returns nil (or `:quit`, or the first error with
    /// `--bail`); returns the number of errors reported.
    @discardableResult
    package func run(lines next: () -> String?) -> Int {
        while !stopped, let line = next() {
            feed(line)
        }
        reportPendingInterrupt()
        if !stopped { session.finish { handle($0) } }
        return renderer.errorCount
    }

    /// Feeds byte lines; a line that is not UTF-8 is reported with its byte offset and
    /// replaced by an empty line, so numbering stays right and the run goes on.
    @discardableResult
    func run(bytes: inout ByteLines) -> Int {
        run {
            guard let line = bytes.next() else { return nil }
            switch line {
            case .text(let s): return s
            case .invalid(let offset, let column, let byte):
                let number = session.nextLineNumber
                let message = String(format: "invalid UTF-8: byte 0x%02X at byte offset %d of the input", byte, offset)
                renderer.render(.error(line: number, GradError.syntax(message, at: SourceLocation(line: number, column: column))), session: session)
                if bail { stopped = true }
                return ""
            case .tooLong(let offset):
                let number = session.nextLineNumber
                let message = "line \(number) (at byte offset \(offset) of the input) is longer than \(ByteLines.longestLine >> 20) MiB: this is not a program"
                renderer.render(.error(line: number, GradError.syntax(message, at: SourceLocation(line: number, column: 1))), session: session)
                if bail { stopped = true }
                return ""
            }
        }
    }

    /// `:load FILE`: runs a file in the same interpreter, its lines numbered on their own.
    func load(_ path: String, line: Int) {
        let resolved = Self.resolved(path)
        if loading.contains(resolved) {
            let chain = (loading + [resolved]).map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " -> ")
            renderer.render(.error(line: line, GradError("CommandError", "'\(path)' is already being loaded (\(chain))",
                                                         at: SourceLocation(line: line, column: 1),
                                                         hint: "a file cannot :load itself, directly or through the files it loads")), session: session)
            if bail { stopped = true }
            return
        }
        let text: String
        switch SourceFile.contents(of: path) {
        case .failure(let failure):
            renderer.render(.error(line: line, GradError("CommandError", "cannot read '\(path)': \(failure)", at: SourceLocation(line: line, column: 1))), session: session)
            if bail { stopped = true }
            return
        case .success(let data):
            guard let decoded = String(data: data, encoding: .utf8) else {
                renderer.render(.error(line: line, GradError("CommandError", "cannot read '\(path)': it is not UTF-8 text", at: SourceLocation(line: line, column: 1))), session: session)
                if bail { stopped = true }
                return
            }
            text = decoded
        }
        let child = ScriptRunner(session: Session(interpreter: session.interpreter), renderer: renderer.child(sourceName: path), bail: bail)
        child.loading = loading + [resolved]
        child.recordsInput = false
        // A loaded file is one unit for Ctrl-C: it stops there, wherever it was loaded from.
        child.stopsOnInterrupt = true
        child.run(text: text)
        if child.quitRequested { quitRequested = true; stopped = true }
        if child.interrupted && stopsOnInterrupt { interrupted = true; stopped = true }
    }
}
