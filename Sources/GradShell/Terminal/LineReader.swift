/// Where interactive input comes from: libedit on a terminal, or an array in tests.
public enum ReadResult: Equatable {
    case line(String)
    /// Ctrl-C at the prompt: cancel the line (and any unfinished block).
    case interrupted
    /// Ctrl-D on an empty line.
    case endOfInput
}

public protocol LineReader: AnyObject {
    func read(prompt: String) -> ReadResult
    /// Records a complete entry (a whole multi-line block is one entry).
    func addHistory(_ entry: String)
}

/// Lines from an array, for tests of the interactive loop.
public final class ArrayLineReader: LineReader {
    private var lines: [ReadResult]
    public private(set) var prompts: [String] = []
    public private(set) var history: [String] = []

    public init(_ lines: [ReadResult]) {
        self.lines = lines.reversed()
    }

    public func read(prompt: String) -> ReadResult {
        prompts.append(prompt)
        return lines.popLast() ?? .endOfInput
    }

    public func addHistory(_ entry: String) {
        if history.last != entry { history.append(entry) }
    }
}
