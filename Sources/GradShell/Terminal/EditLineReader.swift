import Foundation
@preconcurrency import CEditLine

/// libedit's readline-compatible API: arrow keys, Ctrl-R search, TAB completion and history
/// kept in a file, each entry appended as it is made so a crash loses nothing.
package final class EditLineReader: LineReader {
    /// nil once the history file turned out not to be usable: the session keeps none.
    private var history: HistoryFile?
    private var lastEntry: String?

    /// `complete(lineUpToCursor)` returns candidates for the word before the cursor.
    package init(historyPath: String, complete: @escaping (String) -> [String]) {
        history = HistoryFile(path: historyPath)
        setlocale(LC_ALL, "")
        if String(cString: setlocale(LC_CTYPE, nil)) == "C" { setlocale(LC_CTYPE, "C.UTF-8") }
        Signals.installInterruptHandler()
        EditLineCompletion.provider = complete
        rl_attempted_completion_function = { text, _, end in
            EditLineCompletion.matches(text: text, end: Int(end))
        }
        rl_basic_word_break_characters = EditLineCompletion.wordBreaks
        // Our own character reader: Ctrl-C ends the read at once, whatever libedit's retry
        // rules. libedit takes the returned value as one wide character, so UTF-8 sequences
        // are decoded here into a Unicode scalar.
        rl_getc_function = { _ in EditLineReader.readCharacter() }
        using_history()
        stifle_history(5000)
        for entry in history?.load() ?? [] { add_history(entry) }
    }

    /// One byte from the terminal, or nil at end of input or on Ctrl-C.
    private static func readByte() -> UInt8? {
        var byte: UInt8 = 0
        while true {
            // A Ctrl-C that arrived while libedit was busy (not blocked in read) counts too.
            if Signals.isInterruptPending { return nil }
            let n = Foundation.read(STDIN_FILENO, &byte, 1)
            if n == 1 { return byte }
            if n == 0 { return nil }
            if errno == EINTR && Signals.isInterruptPending { return nil }
            if errno != EINTR { return nil }
        }
    }

    /// One character, decoded from UTF-8 (an invalid sequence reads as U+FFFD).
    static func readCharacter() -> Int32 {
        guard let first = readByte() else { return EOF }
        if first < 0x80 { return Int32(first) }
        let count = first >> 5 == 0b110 ? 1 : first >> 4 == 0b1110 ? 2 : first >> 3 == 0b11110 ? 3 : 0
        guard count > 0 else { return 0xFFFD }
        var scalar = UInt32(first) & (0x3F >> count)
        for _ in 0..<count {
            guard let next = readByte() else { return EOF }
            guard next & 0xC0 == 0x80 else { return 0xFFFD }
            scalar = scalar << 6 | UInt32(next & 0x3F)
        }
        return Unicode.Scalar(scalar) == nil ? 0xFFFD : Int32(scalar)
    }

    package func read(prompt: String) -> ReadResult {
        Signals.clearInterrupt()
        errno = 0
        guard let raw = readline(prompt) else {
            if Signals.takeInterrupt() || errno == EINTR {
                Renderer.standardOutput("^C\n")
                return .interrupted
            }
            Renderer.standardOutput("\n")
            return .endOfInput
        }
        defer { free(raw) }
        if Signals.takeInterrupt() {
            // libedit hands back what was typed when Ctrl-C ended the read; drop it.
            Renderer.standardOutput("^C\n")
            return .interrupted
        }
        return .line(String(cString: raw))
    }

    package func addHistory(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespaces).isEmpty, entry != lastEntry else { return }
        lastEntry = entry
        add_history(entry)
        // Any failure only means no history is kept; the session goes on.
        if history?.append(entry) == false { history = nil }
    }
}

/// The C callbacks libedit calls for TAB; they capture nothing, so state lives here. The
/// `nonisolated(unsafe)` is what the C callbacks force: libedit calls them on the reading
/// thread, the only thread that touches this state.
enum EditLineCompletion {
    nonisolated(unsafe) static var provider: ((String) -> [String])?
    nonisolated(unsafe) static var candidates: [String] = []
    nonisolated(unsafe) static var next = 0
    /// Characters that end a word: after `x.` the word is the attribute being typed.
    nonisolated(unsafe) static let wordBreaks: UnsafePointer<CChar> = {
        let s = strdup(" \t\n\"\\'`@$><=;|&{([,+-*/%.!~^")!
        return UnsafePointer(s)
    }()

    static func matches(text: UnsafePointer<CChar>?, end: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        rl_attempted_completion_over = 1
        var line = ""
        if let buffer = rl_line_buffer {
            let full = String(cString: buffer)
            line = String(decoding: Array(full.utf8.prefix(end)), as: UTF8.self)
        }
        candidates = provider?(line) ?? []
        next = 0
        if candidates.count == 1, !candidates[0].hasSuffix("=") { rl_completion_append_character = 0 }
        return rl_completion_matches(text) { _, state in
            if state == 0 { EditLineCompletion.next = 0 }
            guard EditLineCompletion.next < EditLineCompletion.candidates.count else { return nil }
            let c = EditLineCompletion.candidates[EditLineCompletion.next]
            EditLineCompletion.next += 1
            return strdup(c)
        }
    }
}
