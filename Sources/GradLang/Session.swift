import GradCore

/// One evaluation engine for the terminal, piped scripts, files, `-c` and tests: lines go
/// in, and whenever they form a complete chunk (no open block, bracket, string or pending
/// decorator) the chunk is parsed and run. A syntax error discards that chunk only.
package final class Session {
    package let interpreter: Interpreter
    /// Every line fed so far, for error carets (index 0 is line 1).
    package private(set) var lines: [String] = []
    private var pending: [String] = [] {
        didSet { if pending.isEmpty { openBecause = nil } }
    }
    private var pendingStart = 1
    /// Whether `line` has a `>` that can close a block: one that ends the line or is
    /// followed by `;`, a comment, another `>` or `else`/`elif`. A `>` followed by an
    /// operand (`c = a > b`) is a comparison and closes nothing.
    static func mayCloseBlock(_ line: String) -> Bool {
        var rest = Substring(line)
        while let i = rest.firstIndex(of: ">") {
            rest = rest[rest.index(after: i)...]
            let next = rest.drop(while: { $0 == " " || $0 == "\t" })
            guard let c = next.first else { return true }
            if c == ";" || c == "#" || c == ">" || next.hasPrefix("else") || next.hasPrefix("elif") { return true }
        }
        return false
    }

    /// Why the chunk being gathered was incomplete when last parsed.
    private var openBecause: Unfinished?

    /// Whether `line` could finish the chunk, given why it was open: a block needs a `>`,
    /// a bracket its closer, a string a quote. A line that cannot is not worth parsing the
    /// whole chunk again, so gathering a long block costs linear time. A chunk of up to 64
    /// lines (anything typed by hand) is parsed at every line, so an error inside an open
    /// block is reported on the line that made it; a longer one whenever its length
    /// reaches a power of two.
    private func mightFinish(with line: String) -> Bool {
        if pending.count <= 64 || pending.count & (pending.count - 1) == 0 { return true }
        switch openBecause {
        case .block?: return Session.mayCloseBlock(line)
        case .bracket(let c, _)?:
            let closer: Character = c == "(" ? ")" : c == "[" ? "]" : "}"
            return line.contains(closer)
        case .string?: return line.contains("'") || line.contains("\"")
        default: return true
        }
    }
    /// After a rejected chunk whose last line opens a Python block (`with torch.no_grad():`),
    /// the indented lines under it belong to the same chunk and are discarded too, so none
    /// of them runs in a mode the learner did not ask for.
    private var skippingIndentedBody = false
    /// After a rejected decorator: the `def` it decorates is part of the same chunk.
    private var skippingDecoratedDef = false
    /// At a prompt an empty line ends an indented block, as in the Python REPL; in a file
    /// blank lines may sit inside one.
    package var emptyLineEndsIndentedBlock = false

    /// A session; several may share one interpreter (`:load` numbers a file's lines apart).
    package init(interpreter: Interpreter = Interpreter()) {
        self.interpreter = interpreter
    }

    /// Parses `text` as a single expression and evaluates it, displaying nothing.
    package func evaluateExpression(_ text: String) throws -> Value {
        switch Parser.parse(text, firstLine: nextLineNumber) {
        case .program(let p):
            guard p.count == 1, case .expression(let e) = p[0].kind else {
                throw GradError.syntax("expected one expression", at: SourceLocation(line: nextLineNumber, column: 1))
            }
            return try interpreter.evaluate(e)
        case .incomplete:
            throw GradError.syntax("the expression is incomplete", at: SourceLocation(line: nextLineNumber, column: 1))
        case .failure(let e):
            throw e
        }
    }

    /// Evaluates an expression for a command that only looks at values (`:graph`, `:dot`):
    /// calls are refused, since they can change what is being looked at, and whatever the
    /// expression makes is left behind (no assignments, no random numbers drawn).
    package func inspectExpression(_ text: String, command: String) throws -> Value {
        switch Parser.parse(text, firstLine: nextLineNumber) {
        case .program(let p):
            guard p.count == 1, case .expression(let e) = p[0].kind else {
                throw GradError.syntax("expected one expression", at: SourceLocation(line: nextLineNumber, column: 1))
            }
            if let call = e.firstCall {
                throw GradError("CommandError", "\(command) only looks: it does not run calls such as '\(text)'",
                                at: call.location,
                                hint: "assign the result first (y = ...), then \(command) y")
            }
            return try interpreter.leavingNoTrace { try interpreter.evaluate(e) }
        case .incomplete:
            throw GradError.syntax("the expression is incomplete", at: SourceLocation(line: nextLineNumber, column: 1))
        case .failure(let e):
            throw e
        }
    }

    /// The head of the innermost block still open in the chunk being gathered.
    package var innermostOpenBlock: String? {
        pending.isEmpty ? nil : Parser.innermostOpenBlock(pending.joined(separator: "\n"))
    }

    /// What feeding a line did.
    package enum FeedResult: Equatable {
        /// The chunk is not complete yet: show a continuation prompt.
        case needsMore
        /// The chunk ran (or failed); events were emitted.
        case ran
    }

    /// True while a chunk is being gathered.
    package var isGathering: Bool { !pending.isEmpty || skippingIndentedBody }

    /// The line number the next line will get.
    package var nextLineNumber: Int { lines.count + 1 }

    /// Feeds one line (without its newline).
    @discardableResult
    package func feed(_ line: String, emit: (SessionEvent) -> Void) -> FeedResult {
        lines.append(line)
        if skippingIndentedBody {
            let isEmpty = line.trimmingLeadingSpaces().isEmpty
            if isEmpty && emptyLineEndsIndentedBlock {
                skippingIndentedBody = false
                return .ran
            }
            if isEmpty || line.first == " " || line.first == "\t" { return .needsMore }
            skippingIndentedBody = false
        }
        if skippingDecoratedDef && pending.isEmpty {
            let trimmed = line.trimmingLeadingSpaces()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return .needsMore }
            skippingDecoratedDef = false
            if trimmed.hasPrefix("@") || trimmed.hasPrefix("def ") {
                // Gather the decorated def to its end, then drop it.
                discardingChunk = true
            }
        }
        if pending.isEmpty {
            pendingStart = lines.count
            let trimmed = line.trimmingLeadingSpaces()
            if trimmed.hasPrefix(":") || trimmed.hasPrefix("?") {
                emit(.command(line: pendingStart, text: trimmed))
                return .ran
            }
        }
        if case .suite(_, _, true)? = openBecause {
            // A Python block ends at the first line indented no more than its statement (or,
            // at a prompt, at an empty line): the chunk runs, and this line starts the next.
            let code = line.trimmingLeadingSpaces()
            if code.isEmpty && emptyLineEndsIndentedBlock {
                completePending(emit: emit)
                return .ran
            }
            if code.isEmpty || code.hasPrefix("#") {
                pending.append(line)
                return .needsMore
            }
            if Session.indentation(of: line) <= Session.indentation(of: pending[0]) && !Session.continuesStatement(code) {
                completePending(emit: emit)
                return feed(dropping: line, emit: emit)
            }
        }
        pending.append(line)
        if openBecause != nil && !mightFinish(with: line) { return .needsMore }
        let source = pending.joined(separator: "\n")
        switch Parser.parse(source, firstLine: pendingStart) {
        case .incomplete(let why):
            openBecause = why
            return .needsMore
        case .failure(var e):
            let rejected = pending
            pending = []
            if discardingChunk {
                discardingChunk = false
                return .ran
            }
            noteSkippedParts(of: rejected, in: &e)
            emit(.error(line: e.location?.line ?? pendingStart, e))
            return .ran
        case .program(let program):
            pending = []
            if discardingChunk {
                discardingChunk = false
                return .ran
            }
            run(program, emit: emit)
            return .ran
        }
    }

    /// Feeds a line already recorded in `lines` (after the chunk before it completed).
    private func feed(dropping line: String, emit: (SessionEvent) -> Void) -> FeedResult {
        lines.removeLast()
        return feed(line, emit: emit)
    }

    /// The chunk gathered so far, parsed as complete (no more lines will join it) and run;
    /// what is still open is an error at the place it was opened.
    private func completePending(emit: (SessionEvent) -> Void) {
        guard !pending.isEmpty else { return }
        let source = pending.joined(separator: "\n")
        let rejected = pending
        pending = []
        if discardingChunk {
            discardingChunk = false
            return
        }
        switch Parser.parse(source, firstLine: pendingStart, final: true) {
        case .incomplete(let unfinished):
            emit(.error(line: pendingStart, GradError.syntax(unfinished.message, at: unfinished.location)))
        case .failure(var e):
            noteSkippedParts(of: rejected, in: &e)
            emit(.error(line: e.location?.line ?? pendingStart, e))
        case .program(let program):
            run(program, emit: emit)
        }
    }

    /// Indentation width, a tab to the next multiple of 8 (as the lexer counts it).
    static func indentation(of line: String) -> Int {
        var width = 0
        for c in line {
            if c == " " { width += 1 } else if c == "\t" { width = (width / 8 + 1) * 8 } else { break }
        }
        return width
    }

    /// `else:`, `elif ...:`, `except ...:` and `finally:` continue the statement above them.
    static func continuesStatement(_ code: String) -> Bool {
        ["else", "elif", "except", "finally"].contains { word in
            code.hasPrefix(word) && code.dropFirst(word.count).first.map { !$0.isLetter && !$0.isNumber && $0 != "_" } ?? true
        }
    }

    /// Set while gathering a chunk that is dropped unrun (the def under a rejected decorator).
    private var discardingChunk = false

    /// Decides what else a rejected chunk takes with it, and says so in the error.
    private func noteSkippedParts(of rejected: [String], in error: inout GradError) {
        let last = rejected.last(where: { !$0.trimmingLeadingSpaces().isEmpty }) ?? ""
        let opensPythonBlock = rejected.contains { line in
            let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? line
            return code.trimmingCharacters(in: .whitespaces).hasSuffix(":")
        }
        if opensPythonBlock {
            skippingIndentedBody = true
            error.note = "indented lines under it are part of it and are not run either"
        } else if last.trimmingLeadingSpaces().hasPrefix("@") {
            skippingDecoratedDef = true
            error.note = "the function it decorates was not defined"
        }
    }

    /// End of input: an unfinished chunk is a syntax error pointing at where it began.
    package func finish(emit: (SessionEvent) -> Void) {
        skippingIndentedBody = false
        skippingDecoratedDef = false
        if discardingChunk {
            discardingChunk = false
            pending = []
        }
        // The parser says what is still open and where it was opened.
        completePending(emit: emit)
        skippingIndentedBody = false
    }

    /// Discards a chunk being gathered (Ctrl-C on a continuation line).
    package func cancelPending() {
        pending = []
        skippingIndentedBody = false
        skippingDecoratedDef = false
        discardingChunk = false
    }

    /// Forgets every variable and function, closes every grad-mode scope and restores the
    /// default grad mode, and drops any half-typed chunk: `:reset`.
    package func reset() {
        cancelPending()
        interpreter.reset()
        GradModeState.reset()
    }

    /// Runs a whole text as if typed line by line.
    package func run(source: String, emit: (SessionEvent) -> Void) {
        var text = source
        if text.hasSuffix("\n") { text.removeLast() }
        if text.isEmpty && source.isEmpty { return }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            feed(String(line.hasSuffix("\r") ? line.dropLast() : line), emit: emit)
        }
        finish(emit: emit)
    }

    private func run(_ program: [Stmt], emit: (SessionEvent) -> Void) {
        withoutActuallyEscaping(emit) { e in
            interpreter.run(program, emit: e)
        }
    }

    /// The text of line `n` (1-based), for carets under errors.
    package func sourceLine(_ n: Int) -> String? {
        n >= 1 && n <= lines.count ? lines[n - 1] : nil
    }
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" })
    }
}
