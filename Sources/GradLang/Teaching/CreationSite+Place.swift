import GradCore

extension CreationSite {
    /// "at line 4 inside `no_grad`", "at line 2".
    package var place: String {
        guard let inner = scopes.last else { return "at line \(line)" }
        return "at line \(line) inside `\(inner)`"
    }
}

extension Tensor {
    /// The grad mode of the statement that made this tensor.
    package var statementMode: GradMode { site.mode }
}
