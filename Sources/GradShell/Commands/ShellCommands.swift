import Foundation
import GradCore
import GradLang

/// The colon commands, in the terminal and in scripts alike. Each writes its output through
/// `print` (so `--json` turns it into print events) and reports failures as errors.
package final class ShellCommands {
    enum Outcome {
        case done
        case quit
    }

    let session: Session
    let renderer: Renderer
    /// Runs a script file in this session (`:load`), supplied by whoever owns the input loop.
    var load: (String, Int) -> Void = { _, _ in }
    /// Runs a lesson in step mode (`:lesson N`).
    var lesson: (Lesson) -> Void = { _ in }
    /// Where step mode reads its key presses and typed lines (after the prompt given): a
    /// terminal line, or Enter at once in scripts.
    var stepInput: (String) -> String? = { _ in "" }
    /// Whether `stepInput` is a person at a terminal, who can answer exercises.
    var stepInputIsPerson = false

    init(session: Session, renderer: Renderer) {
        self.session = session
        self.renderer = renderer
    }

    static let names = ["help", "vars", "graph", "draw", "dot", "why", "mode", "mem", "time", "timeit", "compare", "load", "save", "set", "reset", "quit", "lessons", "lesson"]

    private func output(_ text: String, line: Int) {
        renderer.render(.printed(line: line, text: text), session: session)
    }

    private func fail(_ message: String, line: Int, hint: String? = nil) {
        renderer.render(.error(line: line, GradError("CommandError", message, at: SourceLocation(line: line, column: 1), hint: hint)), session: session)
    }

    /// Carries out `text` (`:vars`, `?relu`, ...) given on line `line`.
    func run(_ text: String, line: Int) -> Outcome {
        var command = text.trimmingCharacters(in: .whitespaces)
        if command.hasPrefix("?") { command = ":help " + command.dropFirst() }
        command.removeFirst()
        let name = String(command.prefix { !$0.isWhitespace })
        let argument = command.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        switch name {
        case "help", "h": help(argument, line: line)
        case "vars": vars(line: line)
        case "graph": graph(argument, line: line, dot: false)
        case "why": why(argument, line: line)
        case "dot": graph(argument, line: line, dot: true)
        case "draw": draw(argument, line: line)
        case "mode": mode(line: line)
        case "mem": memory(line: line)
        case "time": time(argument, line: line)
        case "timeit": timeit(argument, line: line)
        case "compare": compare(argument, line: line)
        case "load":
            guard !argument.isEmpty else { fail(":load needs a file name", line: line, hint: "for example :load examples/01_graphs.grad"); break }
            load(argument, line)
        case "save": save(argument, command: text, line: line)
        case "set": set(argument, line: line)
        case "lessons": lessons(line: line)
        case "lesson":
            guard let n = Int(argument), let found = Lessons.all().first(where: { $0.number == n }) else {
                fail(argument.isEmpty ? ":lesson needs a lesson number" : "there is no lesson \(argument)", line: line, hint: ":lessons lists them")
                break
            }
            lesson(found)
        case "reset":
            session.reset()
            output("all variables forgotten; grad mode on, inference mode off", line: line)
        case "quit", "q", "exit": return .quit
        case "":
            fail("a command name is needed after ':'", line: line, hint: "try :help commands")
        default:
            let suggestion = Self.closest(name, in: Self.names).map { "did you mean :\($0)?" } ?? "try :help commands"
            fail("unknown command ':\(name)'", line: line, hint: suggestion)
        }
        return .done
    }

    // MARK: help

    private func help(_ topic: String, line: Int) {
        if let text = HelpTopics.text(for: topic) {
            output(text, line: line)
            return
        }
        let suggestion = Self.closest(topic, in: HelpTopics.allTopics + Completion.builtinNames).map { "did you mean :help \($0)?" } ?? "try :help builtins, :help modes or :help concepts"
        fail("no help for '\(topic)'", line: line, hint: suggestion)
    }

    // MARK: vars

    private func vars(line: Int) {
        let bindings = session.interpreter.globals.bindings
        guard !bindings.isEmpty else { output("no variables yet", line: line); return }
        var rows: [[String]] = [["name", "value", "dtype", "requires_grad", "is_leaf", "grad_fn", "inference", "version", "graph holds"]]
        for (name, value) in bindings {
            switch value {
            case .tensor(let t):
                let stats = t.graphStats
                rows.append([name, "tensor " + "[" + t.shape.map(String.init).joined(separator: ", ") + "]", t.dtype.name,
                             t.requiresGrad ? "True" : "False", t.gradFnOrRecorded == nil ? "True" : "False", t.gradFnOrRecorded?.name ?? "-",
                             t.isInference ? "True" : "False", t.versionIfTracked.map(String.init) ?? "-",
                             t.gradFnOrRecorded == nil ? "-" : "\(stats.nodeCount) nodes, \(formatBytes(stats.savedBytes))"])
            default:
                var shown = Repr.shown(value, limit: 1000).replacingOccurrences(of: "\n", with: " ")
                if shown.count > 40 { shown = String(shown.prefix(37)) + "..." }
                rows.append([name, "\(value.typeName) \(shown)", "", "", "", "", "", "", ""])
            }
        }
        output(Self.table(rows), line: line)
    }

    /// Left-aligned columns separated by two spaces, trailing blanks trimmed.
    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }

    // MARK: set

    /// `:set` shows the settings; `:set wide on|off|auto`, `:set explain short|long` and
    /// `:set print NAME VALUE` (torch.set_printoptions's names, or `profile NAME`) change one.
    private func set(_ argument: String, line: Int) {
        let words = argument.split(separator: " ").map(String.init)
        let settings = renderer.settings
        let usage = "for example :set wide off, :set explain short, :set print threshold 20"
        guard let what = words.first else {
            output("""
            wide \(settings.wide.rawValue)    (off: explanations wrap to the terminal's width, for a projector)
            explain \(settings.explain.rawValue)    (short: graph lines and :why in a few words)
            print \(PrintOptions.current.summary)
            """, line: line)
            return
        }
        switch (what, words.count) {
        case ("wide", 2):
            guard let value = DisplaySettings.Wide(rawValue: words[1]) else { fail(":set wide takes on, off or auto", line: line); return }
            settings.wide = value
        case ("explain", 2):
            guard let value = DisplaySettings.Explain(rawValue: words[1]) else { fail(":set explain takes short or long", line: line); return }
            settings.explain = value
        case ("print", 3):
            var options = PrintOptions.current
            let (name, text) = (words[1], words[2])
            if name == "profile" {
                guard let chosen = PrintOptions.profile(text) else { fail(":set print profile takes default, short or full", line: line); return }
                options = chosen
            } else {
                let value: Value
                switch text {
                case "on", "True": value = .bool(true)
                case "off", "False": value = .bool(false)
                case "auto", "None": value = .none
                case "inf": value = .float(.infinity)
                default:
                    guard let n = Int64(text) else { fail("':set print \(name)' needs a whole number, not '\(text)'", line: line); return }
                    value = .int(n)
                }
                do {
                    try options.set(name, to: value)
                } catch let e as GradError {
                    fail(e.message.replacingOccurrences(of: "set_printoptions() got an unexpected keyword argument", with: "no print option"), line: line,
                         hint: "the options are precision, threshold, edgeitems, linewidth, sci_mode and profile")
                    return
                } catch {
                    return
                }
            }
            PrintOptions.current = options
            output("print \(options.summary)", line: line)
        default:
            fail("cannot read ':set \(argument)'", line: line, hint: usage)
        }
    }

    // MARK: save

    /// `:save FILE`: the session so far as a handout, HTML for `.html`, else Markdown.
    private func save(_ file: String, command: String, line: Int) {
        guard !file.isEmpty else {
            fail(":save needs a file name", line: line, hint: "for example :save handout.md, or :save handout.html for a page with the graph pictures")
            return
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), isFolder.boolValue {
            fail("cannot write '\(file)': is a directory", line: line, hint: "name a file in it, such as \(file.hasSuffix("/") ? file : file + "/")handout.md")
            return
        }
        let transcript = renderer.transcript
        transcript.dropLastInput(command)
        let format = Handout.Format(fileName: file)
        let text = Handout.write(transcript, as: format)
        do {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        } catch {
            fail("cannot write '\(file)': \(SourceFile.reason(error))", line: line)
            return
        }
        let pictures = transcript.entries.filter { if case .picture = $0 { return true } else { return false } }.count
        let errors = transcript.entries.filter { if case .error = $0 { return true } else { return false } }.count
        var what = format == .html ? "an HTML page" : "Markdown"
        what += ": \(transcript.entries.count) entries, \(errors) error\(errors == 1 ? "" : "s")"
        if pictures > 0 { what += ", \(pictures) graph picture\(pictures == 1 ? "" : "s")" }
        // Not part of the next handout saved: it tells of this one.
        renderer.render(.printed(line: line, text: "wrote \(file) (\(what))"), session: session, recorded: false)
    }

    // MARK: lessons

    private func lessons(line: Int) {
        let all = Lessons.all()
        guard !all.isEmpty else {
            fail("no lessons in GRADSH_LESSONS (\(ProcessInfo.processInfo.environment["GRADSH_LESSONS"] ?? ""))", line: line,
                 hint: "it names a folder of numbered lesson files such as 01_graphs.grad; unset it for the built-in lessons")
            return
        }
        output(all.map { String(format: "%2d  ", $0.number) + $0.summary }.joined(separator: "\n") + "\n:lesson N steps through lesson N", line: line)
    }

    // MARK: why

    private func why(_ name: String, line: Int) {
        guard !name.isEmpty else { fail(":why needs a variable name", line: line, hint: "for example :why p"); return }
        guard let value = session.interpreter.globals.value(of: name) else {
            renderer.render(.error(line: line, GradError.name(name).located(SourceLocation(line: line, column: 1))), session: session)
            return
        }
        guard case .tensor(let t) = value else {
            output("\(name) is a \(value.typeName), not a tensor: only tensors carry graphs", line: line)
            return
        }
        let explanation = Why.explain(name, t)
        let shown = renderer.settings.explain == .short ? String(explanation.prefix { $0 != "\n" }) : explanation
        output(renderer.wrapped(shown), line: line)
    }

    // MARK: graph and dot

    private func graph(_ argument: String, line: Int, dot: Bool) {
        let parts = argument.split(separator: " ", maxSplits: 1).map(String.init)
        guard let name = parts.first else {
            fail(":\(dot ? "dot" : "graph") needs a variable name", line: line, hint: "for example :\(dot ? "dot loss graph.svg" : "graph loss")")
            return
        }
        guard let t = inspectedTensor(name, command: dot ? ":dot" : ":graph", line: line) else { return }
        let drawing = GraphDrawing(bindings: session.interpreter.globals.bindings)
        guard dot else {
            output(drawing.tree(of: t, name: name), line: line)
            return
        }
        let text = drawing.dot(of: t, name: name)
        guard parts.count == 2 else {
            output(text, line: line)
            return
        }
        writeDot(text + "\n", to: parts[1], line: line)
    }

    /// The tensor a graph command names (`loss`, `model[0].weight`), or nil after reporting why not.
    private func inspectedTensor(_ name: String, command: String, line: Int) -> Tensor? {
        let value: Value
        do {
            value = try session.inspectExpression(name, command: command)
        } catch var e as GradError {
            e.location = SourceLocation(line: line, column: 1)
            renderer.render(.error(line: line, e), session: session)
            return nil
        } catch {
            return nil
        }
        guard case .tensor(let t) = value else {
            fail("'\(name)' is a \(value.typeName), not a tensor", line: line)
            return nil
        }
        return t
    }

    /// `:draw NAME`: the graph as boxes (the tree of `:graph` when it is too big for them).
    private func draw(_ name: String, line: Int) {
        guard !name.isEmpty else { fail(":draw needs a variable name", line: line, hint: "for example :draw loss"); return }
        guard let t = inspectedTensor(name, command: ":draw", line: line) else { return }
        let names = GraphDrawing(bindings: session.interpreter.globals.bindings)
        let width = TerminalSize.columns ?? 100
        var boxes = BoxDrawing(names: names, width: width)
        guard let picture = boxes.draw(t, name: name) else {
            let tree = names.tree(of: t, name: name)
            let why = t.gradFnOrRecorded == nil ? "" : "(too big for boxes in \(width) columns: here is the tree of :graph; :dot NAME FILE.svg draws it with Graphviz)\n"
            output(why + tree, line: line)
            return
        }
        renderer.showPicture(picture, dot: names.dot(of: t, name: name), line: line, session: session)
    }

    private func writeDot(_ text: String, to file: String, line: Int) {
        let url = URL(fileURLWithPath: file)
        let ext = url.pathExtension.lowercased()
        let dotURL = ext == "dot" || ext == "gv" ? url : url.deletingPathExtension().appendingPathExtension("dot")
        do {
            try text.write(to: dotURL, atomically: true, encoding: .utf8)
        } catch {
            fail("cannot write '\(dotURL.path)': \(error.localizedDescription)", line: line)
            return
        }
        guard ext == "svg" || ext == "png" else {
            output("wrote \(dotURL.path)", line: line)
            return
        }
        switch Graphviz.render(text, format: ext) {
        case .success(let rendered):
            do {
                try rendered.write(to: url)
                output("wrote \(file) (and \(dotURL.lastPathComponent))", line: line)
            } catch {
                fail("cannot write '\(file)': \(error.localizedDescription)", line: line)
            }
        case .failure(.notInstalled):
            output("wrote \(dotURL.path); Graphviz is not installed, so \(file) was not rendered (\(Graphviz.installHint)); :draw draws the graph here", line: line)
        case .failure(.failed(let message)):
            fail("Graphviz could not render \(file): \(message)", line: line)
        }
    }

    // MARK: mode and memory

    private func mode(line: Int) {
        let m = GradModeState.current
        var text = "grad mode: \(m.isGradEnabled ? "on" : "off")    inference mode: \(m.isInferenceEnabled ? "on" : "off")\n"
        text += m.isRecording ? "operations on tensors that require grad are recorded" : "nothing is recorded"
        let scopes = GradModeState.openScopes
        if let setAt = GradModeState.plainSetGradEnabledLine {
            text += "\n(the grad flag was set by the plain set_grad_enabled(\(m.isGradEnabled ? "True" : "False")) call at line \(setAt)"
                + (m.isGradEnabled ? ")" : "; set_grad_enabled(True) switches it back)")
        }
        if !scopes.isEmpty {
            text += "\nopen blocks: " + scopes.joined(separator: " > ")
        }
        output(text, line: line)
    }

    private func memory(line: Int) {
        var rows: [[String]] = [["name", "tensor bytes", "graph nodes", "saved tensors", "saved bytes", "held only by the graph"]]
        let variables = session.interpreter.globals
        for (name, value) in variables.bindings {
            guard case .tensor(let t) = value else { continue }
            let stats = t.graphStats
            rows.append([name, formatBytes(t.storageBytes), String(stats.nodeCount), String(stats.savedTensorCount),
                         formatBytes(stats.savedBytes), formatBytes(GraphLine.graphOnlyBytes(t, variables: variables))])
        }
        var text = "live tensor memory: \(formatBytes(Storage.liveBytes)) in \(Storage.liveCount) storages, of a budget of \(formatBytes(MemoryBudget.bytes)) (--max-memory)"
        if rows.count > 1 { text += "\n" + Self.table(rows) }
        if let process = ProcessMemory.current() {
            let now = Self.stableOutput ? "-" : formatBytes(process.residentBytes)
            let peak = Self.stableOutput ? "-" : formatBytes(process.peakResidentBytes)
            text += "\nprocess resident memory (as the OS counts it): \(now), peak \(peak)"
            if let freed = process.freedKeptBytes {
                text += "\nfreed memory the allocator keeps resident for reuse: \(Self.stableOutput ? "-" : formatBytes(freed))"
            }
        }
        output(text, line: line)
    }

    // MARK: time and compare

    private func time(_ statement: String, line: Int) {
        guard !statement.isEmpty else { fail(":time needs a statement", line: line, hint: "for example :time y = model(x)"); return }
        let start = DispatchTime.now().uptimeNanoseconds
        let child = Session(interpreter: session.interpreter)
        session.interpreter.leavingNoTrace {
        child.run(source: statement) { event in
            switch event {
            case .result(_, let target, let value): self.renderer.render(.result(line: line, target: target, value: value), session: self.session)
            case .printed(_, let text): self.renderer.render(.printed(line: line, text: text), session: self.session)
            case .error(_, var e):
                e.location = self.locate(e.location, of: statement, onLine: line)
                self.renderer.render(.error(line: line, e), session: self.session)
            case .warning(_, let text): self.renderer.render(.warning(line: line, text: text), session: self.session)
            case .command: break
            }
        }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        output("time: \(Self.seconds(elapsed)) (then undone: :time leaves no trace)", line: line)
    }

    /// Where an error inside a command's statement sits on the command's own line: the
    /// statement's column there plus the error's column within it (column 1 when unknown).
    private func locate(_ inner: SourceLocation?, of statement: String, onLine line: Int) -> SourceLocation {
        guard let inner, inner.line == 1, let source = session.sourceLine(line),
              let start = source.range(of: statement) else { return SourceLocation(line: line, column: 1) }
        return SourceLocation(line: line, column: source.distance(from: source.startIndex, to: start.lowerBound) + inner.column)
    }

    /// Set GRADSH_STABLE_OUTPUT=1 for reproducible transcripts: times and the process's
    /// resident memory, which change from run to run, print as "-".
    static let stableOutput = ProcessInfo.processInfo.environment["GRADSH_STABLE_OUTPUT"] != nil

    static func seconds(_ s: Double) -> String {
        if stableOutput { return "-" }
        if s < 1e-3 { return String(format: "%.1f µs", s * 1e6) }
        if s < 1 { return String(format: "%.2f ms", s * 1e3) }
        return String(format: "%.2f s", s)
    }

    /// `:timeit STMT`: runs the statement many times, each run undone, and reports the
    /// median time per run with the spread of the samples.
    private func timeit(_ statement: String, line: Int) {
        guard !statement.isEmpty else { fail(":timeit needs a statement", line: line, hint: "for example :timeit y = model(x)"); return }
        let program: [Stmt]
        switch Parser.parse(statement, firstLine: line, final: true) {
        case .program(let p): program = p
        case .incomplete: fail("the statement is incomplete", line: line); return
        case .failure(var e):
            e.location = locate(e.location.map { SourceLocation(line: 1, column: $0.column) }, of: statement, onLine: line)
            renderer.render(.error(line: line, e), session: session)
            return
        }
        struct Failed: Error { let error: GradError }
        let interpreter = session.interpreter
        func runOnce() throws {
            var failure: GradError?
            interpreter.leavingNoTrace {
                interpreter.run(program) { event in
                    if case .error(_, let e) = event, failure == nil { failure = e }
                }
            }
            if let failure { throw Failed(error: failure) }
        }
        do {
            let timing = try Timing.measure([runOnce])[0]
            output("\(timing.summary); each run undone", line: line)
        } catch let failed as Failed {
            var e = failed.error
            if e.location?.line == line { e.location = locate(e.location.map { SourceLocation(line: 1, column: $0.column) }, of: statement, onLine: line) }
            renderer.render(.error(line: line, e), session: session)
        } catch {
            return
        }
    }

    /// Evaluates the expression under each mode: how long it takes (median and spread of
    /// samples taken in turns), the graph its result carries, the memory that graph holds,
    /// and whether autograd can use the result later; then which differences are real.
    private func compare(_ expression: String, line: Int) {
        guard !expression.isEmpty else { fail(":compare needs an expression", line: line, hint: "for example :compare model(x).sum()"); return }
        let expr: Expr
        switch Parser.parse(expression, firstLine: line, final: true) {
        case .program(let p) where p.count == 1:
            guard case .expression(let e) = p[0].kind else { fail(":compare needs an expression, not a statement", line: line, hint: "for example :compare model(x).sum()"); return }
            expr = e
        case .failure(var e):
            e.location = locate(e.location.map { SourceLocation(line: 1, column: $0.column) }, of: expression, onLine: line)
            renderer.render(.error(line: line, e), session: session)
            return
        default:
            fail(":compare needs one complete expression", line: line, hint: "for example :compare model(x).sum()")
            return
        }
        let interpreter = session.interpreter
        let changes: [GradModeChange?] = [nil, .noGrad, .inference(true)]
        // Each run is undone, so `:compare w.add_(1)` leaves w as it was.
        func evaluate(_ change: GradModeChange?) throws -> Value {
            try interpreter.leavingNoTrace {
                if let change { return try GradModeState.withGradMode(change) { try interpreter.evaluate(expr) } }
                return try interpreter.evaluate(expr)
            }
        }
        var rows: [[String]] = [["mode", "time per run", "graph nodes", "saved tensors", "held only by the graph", "later use in autograd"]]
        var working: [(name: String, change: GradModeChange?)] = []
        for change in changes {
            let name = change?.blockName ?? "grad"
            do {
                let result = try evaluate(change)
                working.append((name, change))
                guard case .tensor(let t) = result else {
                    rows.append([name, "", "-", "-", "-", "not a tensor"])
                    continue
                }
                let stats = t.graphStats
                let later: String
                if t.gradFnOrRecorded != nil { later = "yes: gradients flow back through it" }
                else if t.isInference { later = "restricted: cannot be saved for backward or changed in place" }
                else if t.requiresGrad { later = "yes: a leaf" }
                else { later = "yes, as a constant (no gradient flows back)" }
                rows.append([name, "", String(stats.nodeCount), String(stats.savedTensorCount),
                             formatBytes(GraphLine.graphOnlyBytes(t, variables: interpreter.globals)), later])
            } catch let e as GradError {
                var located = e
                located.location = nil
                rows.append([name, "-", "-", "-", "-", "error: \(located.type): \(located.message)"])
            } catch {
                rows.append([name, "-", "-", "-", "-", "error"])
            }
        }
        let timings: [Timing]
        do {
            timings = try Timing.measure(working.map { mode in { _ = try evaluate(mode.change) } })
        } catch let e as GradError {
            renderer.render(.error(line: line, e.located(SourceLocation(line: line, column: 1))), session: session)
            return
        } catch {
            return
        }
        for (mode, timing) in zip(working, timings) {
            if let row = rows.firstIndex(where: { $0[0] == mode.name }) {
                rows[row][1] = Self.stableOutput ? "-" : "\(Self.seconds(timing.median)) (\(Self.seconds(timing.fastest))–\(Self.seconds(timing.slowest)))"
            }
        }
        var text = Self.table(rows)
        if let first = timings.first {
            text += "\n(median of \(first.perRun.count) samples per mode, taken in turns; the range is the fastest and slowest sample)"
        }
        for i in 1..<Swift.max(1, timings.count) {
            text += "\n" + Self.verdict(working[i].name, timings[i], against: working[i - 1].name, timings[i - 1])
        }
        output(text, line: line)
    }

    /// Whether `name` is really faster or slower than `base`: only when the spreads of
    /// their samples do not overlap; otherwise the difference is noise.
    package static func verdict(_ name: String, _ timing: Timing, against base: String, _ baseTiming: Timing) -> String {
        if stableOutput { return "\(name) against \(base): -" }
        if timing.overlaps(baseTiming) { return "\(name) against \(base): no measurable difference (the spreads overlap)" }
        let ratio = baseTiming.median / timing.median
        return ratio >= 1
            ? String(format: "%@ against %@: %.2fx faster", name, base, ratio)
            : String(format: "%@ against %@: %.2fx slower", name, base, 1 / ratio)
    }

    // MARK: suggestions

    /// The candidate closest to `word` by edit distance (a swap of neighbours counts as
    /// one edit), if close enough to be a likely typo; exact case wins ties.
    static func closest(_ word: String, in candidates: [String]) -> String? {
        let w = Array(word)
        var best: (String, Int)? = nil
        for c in Set(candidates).sorted() {
            let d = Swift.min(editDistance(w, Array(c)), editDistance(Array(word.lowercased()), Array(c.lowercased())) + 1)
            if d <= Swift.max(1, w.count / 3) + 1, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
