import Foundation

/// Everything a session showed, in order, as plain text: what `:save` writes as a handout,
/// what `--echo --format md` prints, and what step mode's `b` shows again.
package final class Transcript {
    package enum Entry: Equatable {
        /// Comment lines shown as the story of a lesson (step mode, `--echo`).
        case narrative(String)
        /// A line of code as it was typed or read.
        case input(String)
        /// A displayed result: the repr, then its graph line when it is a tensor.
        case result(String)
        /// `print` output and what colon commands print.
        case printed(String)
        case warning(String)
        /// An error report: location, message, source line with caret, hint.
        case error(String)
        /// A graph picture: the terminal drawing and the same graph in Graphviz DOT.
        case picture(drawing: String, dot: String)
    }

    package private(set) var entries: [Entry] = []
    /// Entries dropped from the front to stay under `maxBytes`.
    package private(set) var droppedCount = 0
    private var bytes = 0
    /// A session that prints without end keeps its last 32 MiB.
    static let maxBytes = 32 << 20

    package init() {}

    package var count: Int { entries.count + droppedCount }

    package func append(_ entry: Entry) {
        let cleaned = Transcript.plain(entry)
        entries.append(cleaned)
        bytes += Transcript.size(cleaned)
        if bytes > Transcript.maxBytes {
            var drop = 0
            while bytes > Transcript.maxBytes * 3 / 4 && drop < entries.count - 1 {
                bytes -= Transcript.size(entries[drop])
                drop += 1
            }
            entries.removeFirst(drop)
            droppedCount += drop
        }
    }

    /// Entries from position `start` (counted over the whole session) to `end`.
    package func entries(from start: Int, to end: Int) -> ArraySlice<Entry> {
        let lower = Swift.max(0, start - droppedCount), upper = Swift.max(lower, Swift.min(entries.count, end - droppedCount))
        return entries[lower..<upper]
    }

    /// Removes the last input line if it is `line` (the `:save` command itself).
    package func dropLastInput(_ line: String) {
        if let last = entries.lastIndex(where: { if case .input = $0 { return true } else { return false } }),
           case .input(let typed) = entries[last], typed.trimmingCharacters(in: .whitespaces) == line.trimmingCharacters(in: .whitespaces),
           last == entries.count - 1 {
            bytes -= Transcript.size(entries.removeLast())
        }
    }

    private static func size(_ entry: Entry) -> Int {
        switch entry {
        case .narrative(let s), .input(let s), .result(let s), .printed(let s), .warning(let s), .error(let s): return s.utf8.count + 16
        case .picture(let a, let b): return a.utf8.count + b.utf8.count + 16
        }
    }

    /// Terminal colour codes are not part of a handout.
    private static func plain(_ entry: Entry) -> Entry {
        func strip(_ s: String) -> String {
            guard s.contains("\u{1B}") else { return s }
            return s.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        }
        switch entry {
        case .narrative(let s): return .narrative(strip(s))
        case .input(let s): return .input(strip(s))
        case .result(let s): return .result(strip(s))
        case .printed(let s): return .printed(strip(s))
        case .warning(let s): return .warning(strip(s))
        case .error(let s): return .error(strip(s))
        case .picture(let d, let dot): return .picture(drawing: strip(d), dot: dot)
        }
    }
}
