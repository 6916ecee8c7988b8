import Foundation
import GradCore
import GradLang

/// Chooses where input comes from and runs it on a thread with a large stack, so deep
/// (but bounded) recursion in user code cannot overflow the process stack.
public enum Launcher {
    public struct Options {
        public var file: String?
        public var code: String?
        public var json: Bool
        public var quiet: Bool
        public var bail: Bool
        public var noColor: Bool
        public var step = false
        public var echo = false
        /// Seconds a top-level statement may run before it is interrupted.
        public var timeout: Double?

        public init(file: String?, code: String?, json: Bool, quiet: Bool, bail: Bool, noColor: Bool) {
            (self.file, self.code, self.json, self.quiet, self.bail, self.noColor) = (file, code, json, quiet, bail, noColor)
        }
    }

    /// Runs and returns the exit status: 0 when nothing failed, 1 when a statement failed,
    /// 2 for an unreadable file.
    public static func run(_ options: Options) -> Int32 {
        var status: Int32 = 0
        onLargeStack { status = runHere(options) }
        return status
    }

    /// Keeps Ctrl-C away from every thread but the one that reads and evaluates: call it
    /// first thing, so threads started later (by the runtime too) inherit the block.
    public static func blockInterruptSignal() {
        setInterruptSignal(blocked: true)
    }

    private static func setInterruptSignal(blocked: Bool) {
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &interrupt, nil)
    }

    /// Runs `body` on a thread with a 512 MiB stack, the only thread that receives Ctrl-C,
    /// and waits for it.
    public static func onLargeStack(_ body: @escaping () -> Void) {
        blockInterruptSignal()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            setInterruptSignal(blocked: false)
            body()
            done.signal()
        }
        thread.stackSize = 512 << 20
        thread.start()
        done.wait()
    }

    private static func runHere(_ options: Options) -> Int32 {
        let useColor = !options.noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) != 0 && !options.json
        let session = Session()
        session.interpreter.statementTimeLimit = options.timeout
        if let code = options.code {
            let renderer = Renderer(format: options.json ? .json : .text, quiet: options.quiet, color: useColor, sourceName: "<string>")
            let runner = ScriptRunner(session: session, renderer: renderer, bail: options.bail)
            runner.echo = options.echo
            let failures = runner.run(text: code)
            return failures > 0 ? 1 : 0
        }
        if let file = options.file {
            guard let data = FileManager.default.contents(atPath: file) else {
                Renderer.standardError("gradsh: cannot read '\(file)': \(FileManager.default.fileExists(atPath: file) ? "permission denied or not a file" : "no such file")\n")
                return 2
            }
            let renderer = Renderer(format: options.json ? .json : .text, quiet: options.quiet, color: useColor, sourceName: file)
            let runner = ScriptRunner(session: session, renderer: renderer, bail: options.bail)
            if options.step, let text = String(data: data, encoding: .utf8) {
                let stepper = StepRunner(runner: runner, prompt: { InteractiveShell.modePrompt(color: useColor) },
                                         next: { readLine(strippingNewline: true) })
                stepper.run(text)
                return renderer.errorCount > 0 ? 1 : 0
            }
            guard let text = String(data: data, encoding: .utf8), options.echo || options.step else {
                var lines = ByteLines(data: data)
                return runner.run(bytes: &lines) > 0 ? 1 : 0
            }
            runner.echo = options.echo
            let failures = runner.run(text: text)
            return failures > 0 ? 1 : 0
        }
        let renderer = Renderer(format: options.json ? .json : .text, quiet: options.quiet, color: useColor, sourceName: "<stdin>")
        if isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 && !options.json {
            let reader = EditLineReader(historyPath: historyPath) { line in Completion.candidates(for: line, in: session) }
            return InteractiveShell(session: session, renderer: renderer, reader: reader).run()
        }
        let runner = ScriptRunner(session: session, renderer: renderer, bail: options.bail)
        if options.echo {
            var lines: [String] = []
            while let line = readLine(strippingNewline: true) { lines.append(line) }
            runner.echo = true
            return runner.run(text: lines.joined(separator: "\n")) > 0 ? 1 : 0
        }
        var lines = ByteLines(fileDescriptor: STDIN_FILENO)
        let failures = runner.run(bytes: &lines)
        return failures > 0 ? 1 : 0
    }

    /// `GRADSH_HISTORY`, or `~/.gradsh_history`.
    static var historyPath: String {
        if let p = ProcessInfo.processInfo.environment["GRADSH_HISTORY"], !p.isEmpty { return p }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".gradsh_history").path
    }
}
