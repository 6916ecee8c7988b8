import Foundation
import Synchronization
import GradCore
import GradLang

/// Turns session events into what the user sees: results and graph lines (or JSON lines)
/// on standard output, errors with a caret on standard error.
package final class Renderer {
    package enum Format { case text, json }

    package let format: Format
    package let quiet: Bool
    package let color: Bool
    /// The name errors are reported under: the file, `<stdin>` or `<string>`.
    package let sourceName: String
    package private(set) var errorCount = 0
    private let out: (String) -> Void
    private let err: (String) -> Void
    /// Told of every error, so a `:load`ed file's failures count for the whole run.
    private var onError: () -> Void = {}
    /// What this session showed, for `:save` and step mode's `b`; shared with child renderers.
    package private(set) var transcript = Transcript()
    private var recording = true
    /// `:set wide` and `:set explain`; shared with child renderers.
    package private(set) var settings = DisplaySettings()

    private func record(_ entry: Transcript.Entry) {
        if recording { transcript.append(entry) }
    }

    package init(format: Format, quiet: Bool, color: Bool, sourceName: String,
                out: @escaping (String) -> Void = Renderer.standardOutput,
                err: @escaping (String) -> Void = Renderer.standardError) {
        self.format = format
        self.quiet = quiet
        self.color = color
        self.sourceName = sourceName
        self.out = out
        self.err = err
    }

    /// A renderer for a file run inside this one (`:load`): same output, its own file name,
    /// errors counted here too, and in every renderer above (a file loaded by a loaded file).
    package func child(sourceName: String) -> Renderer {
        let r = Renderer(format: format, quiet: quiet, color: color, sourceName: sourceName, out: out, err: err)
        r.transcript = transcript
        r.settings = settings
        r.onError = { [weak self] in
            self?.errorCount += 1
            self?.onError()
        }
        return r
    }

    package static func standardOutput(_ s: String) { writeAll(STDOUT_FILENO, s) }

    package static func standardError(_ s: String) { writeAll(STDERR_FILENO, s) }

    /// The errno of the first write to standard output that failed (0: none), so a run
    /// whose results were lost (a full disk, a closed pipe) ends with a message and status 1.
    private static let outputFailure = Atomic<Int32>(0)

    /// Why standard output could not be written, if it could not.
    package static var outputFailureMessage: String? {
        let code = outputFailure.load(ordering: .relaxed)
        return code == 0 ? nil : String(cString: strerror(code))
    }

    /// Plain write(2), unbuffered, so output and errors interleave in order.
    static func writeAll(_ fd: Int32, _ s: String) {
        var bytes = Array(s.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                if fd == STDOUT_FILENO { _ = outputFailure.compareExchange(expected: 0, desired: errno, ordering: .relaxed) }
                return
            }
            offset += n
        }
    }

    /// Narrative text (comments shown in step mode and with --echo).
    func dim(_ s: String) -> String { paint(s, "2") }

    /// A comment line of a lesson, shown dimmed as its story.
    func showNarrative(_ line: String, session: Session) {
        if format == .json { render(.printed(line: 0, text: line), session: session); return }
        transcript.append(.narrative(line))
        out(dim(line) + "\n")
    }

    /// Code about to run, after a mode prompt (`--echo`): `grad> first line`, then `... `.
    func showInput(_ lines: [String], prompt: String, session: Session) {
        let shown = lines.enumerated().map { ($0.offset == 0 ? prompt : "... ") + $0.element }.joined(separator: "\n")
        if format == .json { render(.printed(line: 0, text: shown), session: session); return }
        lines.forEach { transcript.append(.input($0)) }
        out(shown + "\n")
    }

    /// A graph picture (`:draw`): the drawing is shown; a handout can draw the DOT instead.
    func showPicture(_ drawing: String, dot: String, line: Int, session: Session) {
        if format == .json { render(.printed(line: line, text: drawing), session: session); return }
        transcript.append(.picture(drawing: drawing, dot: dot))
        out(drawing + "\n")
    }

    private func paint(_ s: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }

    /// Shows `event`; `recorded` false keeps it out of the transcript (what `:save` says).
    package func render(_ event: SessionEvent, session: Session, recorded: Bool = true) {
        guard recorded else {
            recording = false
            defer { recording = true }
            return render(event, session: session)
        }
        if case .error(_, let e) = event {
            // After the terminal's own ^C, on a line of its own.
            if e.type == "KeyboardInterrupt" && isatty(STDERR_FILENO) != 0 && format == .text { err("\n") }
            errorCount += 1
            onError()
            let report = errorReport(e, session: session)
            record(.error(report))
            err(report)
        }
        if format == .json {
            if let line = JSONEvents.line(for: event, variables: session.interpreter.globals) { out(line + "\n") }
            return
        }
        switch event {
        case .printed(_, let text):
            record(.printed(text))
            out(text + "\n")
        case .result(_, let target, let value):
            guard !quiet else { return }
            let shown = display(value, target: target, variables: session.interpreter.globals)
            record(.result(shown))
            out(shown)
        case .warning(_, let text):
            record(.warning(text))
            err(paint("warning:", "1;35") + " \(text)\n")
        case .error, .command:
            break
        }
    }

    /// A result as the shell shows it: the value's repr (prefixed with `name = ` for an
    /// assignment) and, for a tensor, its graph line.
    package func display(_ value: Value, target: String?, variables: Scope? = nil) -> String {
        let repr = Repr.shown(value)
        var text: String
        if let target, repr.contains("\n"), !value.isTensorValue {
            text = "\(target) =\n" + repr
        } else if let target {
            let prefix = "\(target) = "
            let pad = String(repeating: " ", count: prefix.count)
            text = prefix + repr.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n" + pad)
        } else {
            text = repr
        }
        text += "\n"
        if case .tensor(let t) = value {
            let line = wrapped("# " + GraphLine.describe(t, variables: variables, short: settings.explain == .short), indent: "#   ")
            text += paint(line, t.gradFnOrRecorded != nil ? "32" : t.requiresGrad ? "36" : "2") + "\n"
        }
        return text
    }

    /// `label text`, wrapped as one line that already has `taken` columns before it, with
    /// only the label painted.
    private func labelled(_ label: String, _ text: String, code: String, indent: String, taken: Int = 0) -> String {
        let lines = wrapped(label + " " + text, indent: indent, taken: taken)
        return paint(label, code) + String(lines.dropFirst(label.count))
    }

    /// An explanation wrapped at word boundaries to the terminal's width in projector mode
    /// (`:set wide off`), continuation lines starting with `indent`; as it is otherwise.
    func wrapped(_ text: String, indent: String = "", taken: Int = 0) -> String {
        guard let width = settings.wrapWidth else { return text }
        return Wrap.lines(text, width: width, indent: indent, taken: taken)
    }

    /// `file:line:col: error: Type: message`, the source line and a caret, then any hint.
    package func errorReport(_ e: GradError, session: Session) -> String {
        let loc = e.location
        let line = loc?.line ?? 0
        let place = "\(sourceName):\(line):\(loc?.column ?? 1): "
        var text = place + labelled("error:", "\(e.type): \(e.message)", code: "1;31", indent: "  ", taken: place.count) + "\n"
        if let loc, let source = session.sourceLine(loc.line) {
            let (shown, caret) = Renderer.window(source.replacingOccurrences(of: "\t", with: " "), column: loc.column)
            text += "  \(shown)\n"
            text += "  " + String(repeating: " ", count: caret) + paint("^", "1;32") + "\n"
        }
        if let hint = e.hint { text += labelled("hint:", hint, code: "1;36", indent: "      ") + "\n" }
        if let note = e.note { text += labelled("note:", note, code: "1;36", indent: "      ") + "\n" }
        return text
    }
}

extension Renderer {
    /// The part of a long source line around `column` (at most `width` characters, cut
    /// ends marked with `...`) and the caret's offset in it: a 200,000-character line is
    /// shown as the stretch where the error is.
    static func window(_ line: String, column: Int, width: Int = 100) -> (String, Int) {
        let chars = Array(line)
        let at = Swift.max(0, column - 1)
        guard chars.count > width else { return (line, at) }
        let start = Swift.max(0, Swift.min(at - width / 2, chars.count - width))
        let end = Swift.min(chars.count, start + width)
        let head = start > 0 ? "..." : "", tail = end < chars.count ? "..." : ""
        return (head + String(chars[start..<end]) + tail, at - start + head.count)
    }
}

extension Value {
    var isTensorValue: Bool { if case .tensor = self { return true } else { return false } }
}
