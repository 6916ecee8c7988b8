import Foundation
import GradCore
import GradLang

/// The interactive loop: the same session and event handling as scripts, with prompts that
/// show the grad mode, continuation prompts that name the open block, history and Ctrl-C.
package final class InteractiveShell {
    let runner: ScriptRunner
    let reader: LineReader
    let color: Bool
    var session: Session { runner.session }

    package init(session: Session, renderer: Renderer, reader: LineReader) {
        runner = ScriptRunner(session: session, renderer: renderer, bail: false)
        runner.stopsOnInterrupt = false
        self.reader = reader
        color = renderer.color
        runner.commands.stepInputIsPerson = true
        runner.commands.stepInput = { [unowned reader] prompt in
            switch reader.read(prompt: prompt) {
            case .line(let s): return s
            case .interrupted, .endOfInput: return nil
            }
        }
    }

    package static let banner = "gradsh \(GradLang.version): autograd, made visible. :help for help, Ctrl-D to leave."

    /// `grad>`, `no_grad>` or `inference>`: the mode the next statement runs in.
    package var prompt: String { InteractiveShell.modePrompt(color: color, forLineEditor: true) }

    /// The mode prompt; `forLineEditor` wraps colour codes so libedit does not count them.
    static func modePrompt(color: Bool, forLineEditor: Bool = false) -> String {
        let mode = GradModeState.current
        let name = mode.isInferenceEnabled ? GradModeKind.inference.rawValue : mode.isGradEnabled ? "grad" : GradModeKind.noGrad.rawValue
        // Green, cyan and magenta: readable on light and dark backgrounds alike (yellow is not).
        let code = mode.isInferenceEnabled ? "35" : mode.isGradEnabled ? "32" : "36"
        guard color else { return name + "> " }
        return forLineEditor ? "\u{1}\u{1B}[\(code)m\u{2}\(name)>\u{1}\u{1B}[0m\u{2} " : "\u{1B}[\(code)m\(name)>\u{1B}[0m "
    }

    /// `no_grad ...>` while a block is open, `...>` for an open bracket or string.
    package var continuationPrompt: String {
        let head = session.innermostOpenBlock.map { $0 + " " } ?? ""
        return paint(head + "...>", "2") + " "
    }

    private func paint(_ s: String, _ code: String) -> String {
        // \u{1} and \u{2} tell libedit the escapes take no room on the line.
        color ? "\u{1}\u{1B}[\(code)m\u{2}\(s)\u{1}\u{1B}[0m\u{2}" : s
    }

    /// The prompts of a transcript: gradsh's own (`grad> `, `no_grad> `, `inference> `,
    /// `no_grad ...> `, `...> `) and Python's (`>>> `, `... `), each followed by a space, at
    /// the start of a line. Nothing else is a prompt: `no_grad < x.add_(1) > # note` and
    /// `grad > 3` are code.
    private static let promptPatterns = ["^(grad|no_grad|inference)> ", "^([A-Za-z_][A-Za-z_0-9]*( [A-Za-z_][A-Za-z_0-9]*)? )?\\.\\.\\.> ",
                                         "^>>> ", "^\\.\\.\\. "]

    /// The line without its transcript prompt, or nil when it has none.
    package static func withoutPrompt(_ line: String) -> String? {
        if line == ">>>" || line == "..." { return "" }
        for p in promptPatterns {
            if let r = line.range(of: p, options: .regularExpression) { return String(line[r.upperBound...]) }
        }
        return nil
    }

    /// The code in what one read returned: each line after its transcript prompt, if it
    /// has one, else exactly as typed.
    package static func codeLines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { withoutPrompt(String($0)) ?? String($0) }
    }

    /// Runs until Ctrl-D, `exit`, `quit` or `:quit`; returns the exit status.
    package func run(showBanner: Bool = true) -> Int32 {
        if showBanner { Renderer.standardOutput(InteractiveShell.banner + "\n") }
        var entry: [String] = []
        session.emptyLineEndsIndentedBlock = true
        while true {
            switch reader.read(prompt: session.isGathering ? continuationPrompt : prompt) {
            case .endOfInput:
                if session.isGathering { session.finish { runner.handle($0) } }
                return 0
            case .interrupted:
                session.cancelPending()
                entry = []
            case .line(let text):
                for line in InteractiveShell.codeLines(text) {
                    let word = line.trimmingCharacters(in: .whitespaces)
                    if !session.isGathering && ["exit", "quit", "exit()", "quit()"].contains(word) { return 0 }
                    if entry.isEmpty && word.isEmpty { continue }
                    entry.append(line)
                    Interruption.clear()
                    runner.renderer.transcript.append(.input(line))
                    if session.feed(line, emit: { runner.handle($0) }) == .ran {
                        reader.addHistory(entry.joined(separator: "\n"))
                        entry = []
                    }
                    if runner.quitRequested { return 0 }
                }
            }
        }
    }
}
