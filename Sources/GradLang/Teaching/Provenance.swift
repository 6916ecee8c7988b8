import GradCore

/// Where a tensor was made: the line of the statement and the mode blocks and decorated
/// calls around it (the grad mode flags themselves are on the tensor).
public final class Provenance {
    public let line: Int
    /// Innermost last: `no_grad`, `inference`, `@no_grad evaluate()`.
    public let blocks: [String]

    init(line: Int, blocks: [String]) {
        self.line = line
        self.blocks = blocks
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
}
