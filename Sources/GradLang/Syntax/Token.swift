import GradCore

/// A lexical token with the location of its first character.
package struct Token: Equatable, Sendable {
    package enum Kind: Equatable, Sendable {
        case name(String)
        case keyword(String)
        case int(Int64)
        case float(Double)
        case string(String)
        /// `f"..."`: literal text and `{expression!conversion:spec}` fields, the
        /// expressions still as source (the parser parses them).
        case formatted([FormattedPiece])
        /// Operators and punctuation: `+`, `<=`, `(`, `...`, ...
        case op(String)
        case newline
        case end

        /// A plain string literal (not an f-string).
        var isString: Bool { if case .string = self { return true } else { return false } }
    }

    package var kind: Kind
    package var location: SourceLocation
    /// For the first token of a line (not a continuation inside brackets), the width of the
    /// line's indentation (a tab to the next multiple of 8, as Python counts): Python
    /// blocks are made of the lines indented under a `:`.
    package var lineIndent: Int? = nil

    package static let keywords: Set<String> = Set([
        "def", "return", "for", "in", "if", "else", "and", "or", "not", "True", "False", "None",
    ] + GradModeKind.keywords)

    /// Python keywords that gradsh does not have, so a learner gets a targeted message.
    static let pythonOnlyKeywords: Set<String> = [
        "elif", "except", "yield", "finally", "as",
    ]

    func isOp(_ s: String) -> Bool { kind == .op(s) }
    func isKeyword(_ s: String) -> Bool { kind == .keyword(s) }
    /// The identifier, when the token is a plain name (`as`, `import` are names here).
    var name: String? { if case .name(let n) = kind { return n } else { return nil } }

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .name(let n): return "'\(n)'"
        case .keyword(let k): return "'\(k)'"
        case .int(let i): return "'\(i)'"
        case .float(let d): return "'\(d)'"
        case .string, .formatted: return "string"
        case .op(let o): return "'\(o)'"
        case .newline: return "end of line"
        case .end: return "end of input"
        }
    }
}

/// A piece of an f-string.
package enum FormattedPiece: Equatable, Sendable {
    case text(String)
    /// `{source!conversion:spec}`; `location` is where the expression's text starts.
    /// `echo`: for `{x=}`, the text written before the value (`x=`).
    case field(source: String, location: SourceLocation, conversion: Character?, spec: String, echo: String?)
}
