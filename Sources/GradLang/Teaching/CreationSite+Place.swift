import GradCore

extension CreationSite {
    /// "at line 4 inside `no_grad`", "at line 2".
    public var place: String {
        guard let inner = scopes.last else { return "at line \(line)" }
        return "at line \(line) inside `\(inner)`"
    }
}

extension Tensor {
    /// The grad mode of the statement that made this tensor.
    public var statementMode: GradMode { site.mode }
}
