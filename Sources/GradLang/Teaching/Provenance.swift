import GradCore

/// Where a tensor was made: the line of the statement, the mode blocks and decorated
/// calls around it, and the grad mode the statement ran in (an op may switch modes for its
/// own internal work; what the learner chose is this one).
public final class Provenance {
    public let line: Int
    /// Innermost last: `no_grad`, `inference`, `@no_grad evaluate()`.
    public let blocks: [String]
    public let mode: GradMode

    init(line: Int, blocks: [String], mode: GradMode) {
        self.line = line
        self.blocks = blocks
        self.mode = mode
    }

    /// "at line 4 inside `no_grad`", "at line 2".
    public var place: String {
        guard let inner = blocks.last else { return "at line \(line)" }
        return "at line \(line) inside `\(inner)`"
    }
}

extension Tensor {
    /// Where the interpreter was when this tensor was made.
    public var origin: Provenance? { provenance as? Provenance }

    /// The grad mode of the statement that made this tensor, or the core's record of it.
    public var statementMode: GradMode { origin?.mode ?? creationMode }
}
