/// Where interactive input comes from: libedit on a terminal, or an array in tests.
package enum ReadResult: Equatable {
    case line(String)
    /// Ctrl-C at the prompt: cancel the line (and any unfinished block).
    case interrupted
    /// Ctrl-D on an empty line.
    case endOfInput
}

package protocol LineReader: AnyObject {
    func read(prompt: String) -> ReadResult
    /// Records a complete entry (a whole multi-line block is one entry).
    func addHistory(_ entry: String)
}

/// Lines from an array, for tests of the interactive loop.
package final class ArrayLineReader: LineReader {
    private var lines: [ReadResult]
    package private(set) var prompts: [String] = []
    package private(set) var history: [String] = []

    package init(_ lines: [ReadResult]) {
        self.lines = lines.reversed()
    }

    package func read(prompt: String) -> ReadResult {
        prompts.append(prompt)
        return lines.popLast() ?? .endOfInput
    }

    package func addHistory(_ entry: String) {
        if history.last != entry { history.append(entry) }
    }
}
