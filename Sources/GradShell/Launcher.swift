import CMalloc
import Foundation
import GradCore
import GradLang

/// Chooses where input comes from and runs it on a thread with a large stack, so deep
/// (but bounded) recursion in user code cannot overflow the process stack.
package enum Launcher {
    package struct Options {
        package var file: String?
        package var code: String?
        package var json: Bool
        package var quiet: Bool
        package var bail: Bool
        package var noColor: Bool
        package var step = false
        package var echo = false
        /// `--echo --format md|html`: the run is written as a handout (HTML when true).
        package var handoutHTML: Bool?
        /// Seconds a top-level statement may run before it is interrupted.
        package var timeout: Double?
        /// `--max-memory`: the session's memory budget in bytes (nil: the default).
        package var maxMemory: Int?

        package init(file: String?, code: String?, json: Bool, quiet: Bool, bail: Bool, noColor: Bool) {
            (self.file, self.code, self.json, self.quiet, self.bail, self.noColor) = (file, code, json, quiet, bail, noColor)
        }
    }

    /// Runs and returns the exit status: 0 when nothing failed, 1 when a statement failed,
    /// 2 for an unreadable file.
    package static func run(_ options: Options) -> Int32 {
        keepFreedTensorMemory()
        if let budget = options.maxMemory { MemoryBudget.bytes = budget }
        var status: Int32 = 0
        onLargeStack { status = runHere(options) }
        if let failure = Renderer.outputFailureMessage {
            Renderer.standardError("gradsh: cannot write to standard output: \(failure)\n")
            return 1
        }
        return status
    }

    /// Loops free and allocate tensors of a few MiB on every step. By default glibc hands
    /// freed memory at the top of the heap back to the OS once twice its (moving) mmap
    /// threshold is free there, so each step faulted the same pages in again: half the time
    /// of a 1000x1000 backward pass. Fixed thresholds keep up to 64 MiB of freed memory for
    /// reuse; buffers of 32 MiB or more still go straight back to the OS when freed.
    ///
    /// One arena: statements run on their own thread, which glibc would serve from a
    /// secondary arena made of 64 MiB heaps that it unmaps as soon as one falls empty and
    /// maps afresh on the next step. A forward pass of an 8-layer 1024-wide MLP under grad
    /// faulted 30 MiB in again on every second pass that way (5% of its time).
    ///
    /// A setting the user made through glibc's own environment variables is left as it is.
    static func keepFreedTensorMemory() {
        #if os(Linux) && canImport(Glibc)
        let environment = ProcessInfo.processInfo.environment
        func userSet(_ variable: String, _ tunable: String) -> Bool {
            environment[variable] != nil || (environment["GLIBC_TUNABLES"] ?? "").contains("glibc.malloc.\(tunable)")
        }
        if !userSet("MALLOC_MMAP_THRESHOLD_", "mmap_threshold") { _ = mallopt(M_MMAP_THRESHOLD, 32 << 20) }
        if !userSet("MALLOC_TRIM_THRESHOLD_", "trim_threshold") { _ = mallopt(M_TRIM_THRESHOLD, 64 << 20) }
        if !userSet("MALLOC_ARENA_MAX", "arena_max") { _ = mallopt(M_ARENA_MAX, 1) }
        #endif
    }

    /// Keeps Ctrl-C away from every thread but the one that reads and evaluates: call it
    /// first thing, so threads started later (by the runtime too) inherit the block.
    package static func blockInterruptSignal() {
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
    package static func onLargeStack(_ body: @escaping () -> Void) {
        blockInterruptSignal()
        LargeStack.run {
            setInterruptSignal(blocked: false)
            body()
        }
    }

    private static func runHere(_ options: Options) -> Int32 {
        let useColor = !options.noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) != 0 && !options.json
        let session = Session()
        session.interpreter.statementTimeLimit = options.timeout
        func renderer(_ sourceName: String) -> Renderer {
            // --echo makes a handout: errors go to stdout too, in order with the statements.
            if options.handoutHTML != nil {
                // The handout is written at the end, from the transcript; nothing shows before.
                return Renderer(format: .text, quiet: options.quiet, color: false, sourceName: sourceName, out: { _ in }, err: { _ in })
            }
            let errors: (String) -> Void = options.echo && !options.json ? { Renderer.standardOutput($0) } : { Renderer.standardError($0) }
            return Renderer(format: options.json ? .json : .text, quiet: options.quiet, color: useColor, sourceName: sourceName, err: errors)
        }
        func status(_ errors: Int) -> Int32 { errors > 0 ? 1 : 0 }

        // The input: a string, a file or standard input, and the name errors report it
        // under. Files and pipes are streamed, so each chunk runs as soon as it is
        // complete; --echo and --step read the script whole first.
        let sourceName: String
        var lines: ByteLines
        if let code = options.code {
            sourceName = "<string>"
            lines = ByteLines(data: Data(code.utf8))
        } else if let file = options.file {
            switch SourceFile.open(file) {
            case .failure(let failure):
                Renderer.standardError("gradsh: cannot read '\(file)': \(failure)\n")
                return 2
            case .success(let fd):
                sourceName = file
                lines = ByteLines(fileDescriptor: fd)
            }
        } else if isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 && !options.json {
            let reader = EditLineReader(historyPath: historyPath) { line in Completion.candidates(for: line, in: session) }
            return InteractiveShell(session: session, renderer: renderer("<stdin>"), reader: reader).run()
        } else {
            sourceName = "<stdin>"
            lines = ByteLines(fileDescriptor: STDIN_FILENO)
        }

        let runner = ScriptRunner(session: session, renderer: renderer(sourceName), bail: options.bail)
        if let file = options.file { runner.runsFile(file) }
        // Ctrl-C stops a script as it stops Python: reported, exit status 130.
        Signals.installInterruptHandler()
        if options.echo || options.step {
            guard let data = lines.readAll(upTo: SourceFile.largestWhole) else {
                let reason = lines.readFailure ?? SourceFile.tooLarge
                Renderer.standardError("gradsh: cannot read \(options.file.map { "'\($0)'" } ?? "standard input"): \(reason)\n")
                return 2
            }
            guard var text = String(data: data, encoding: .utf8) else {
                Renderer.standardError("gradsh: --echo and --step need a UTF-8 script\n")
                return 2
            }
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            if options.step {
                StepRunner(runner: runner, prompt: { InteractiveShell.modePrompt(color: useColor) },
                           next: { prompt in
                               Renderer.standardOutput(prompt)
                               return readLine(strippingNewline: true)
                           }).run(text)
                return status(runner.renderer.errorCount)
            }
            runner.echo = true
            let errors = runner.run(text: text)
            if let html = options.handoutHTML {
                Renderer.standardOutput(Handout.write(runner.renderer.transcript, as: html ? .html : .markdown))
            }
            return runner.interrupted ? 130 : status(errors)
        }
        let errors = runner.run(bytes: &lines)
        if let failure = lines.readFailure {
            Renderer.standardError("gradsh: cannot read \(options.file.map { "'\($0)'" } ?? "standard input"): \(failure)\n")
            return 2
        }
        return runner.interrupted ? 130 : status(errors)
    }

    /// `GRADSH_HISTORY`, or `~/.gradsh_history`.
    static var historyPath: String { HistoryFile.defaultPath() }
}

/// A size typed on the command line: `512M`, `2G`, `1.5GiB`, `64k` or plain bytes, in
/// powers of 1024 as memory is counted.
package enum MemorySize {
    package static func bytes(_ text: String) -> Int? {
        var digits = text.trimmingCharacters(in: .whitespaces)
        var unit = 1.0
        for suffix in ["ib", "b"] where digits.lowercased().hasSuffix(suffix) && digits.count > suffix.count {
            digits = String(digits.dropLast(suffix.count))
            break
        }
        let scales: [Character: Double] = ["k": 0x1p10, "m": 0x1p20, "g": 0x1p30, "t": 0x1p40]
        if let last = digits.lowercased().last, let scale = scales[last] {
            unit = scale
            digits = String(digits.dropLast())
        }
        guard let value = Double(digits), value.isFinite, value > 0 else { return nil }
        let bytes = value * unit
        guard bytes >= 0x1p20, bytes < 9.0e18 else { return nil }
        return Int(bytes)
    }
}
