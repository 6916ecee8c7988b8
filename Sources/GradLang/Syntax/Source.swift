/// A position in the user's input: 1-based line and column.
package struct SourceLocation: Equatable, Comparable, Sendable, CustomStringConvertible {
    package var line: Int
    package var column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    package static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    package var description: String { "\(line):\(column)" }
}

/// An error a user sees: the Python exception type PyTorch would raise, a message, where it
/// happened, and an optional hint. Rendering (colour, carets) is the shell's business.
package struct GradError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `SyntaxError`, `RuntimeError`, `TypeError`, ...
    package var type: String
    package var message: String
    /// The innermost location: where the offending expression is.
    package var location: SourceLocation?
    /// A second line of help, shown as `hint:` after the error.
    package var hint: String?
    /// What the shell did about the failure (changes it undid), shown as `note:`.
    package var note: String?
    /// Ctrl-C or `--timeout`: it stops the statement whatever an `except` says, so a script
    /// can always be interrupted.
    package var isInterruption = false

    package init(_ type: String, _ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
        self.type = type
        self.message = message
        self.location = location
        self.hint = hint
    }

    package static func syntax(_ message: String, at location: SourceLocation, hint: String? = nil) -> GradError {
        GradError("SyntaxError", message, at: location, hint: hint)
    }

    package static func type(_ message: String) -> GradError { GradError("TypeError", message) }
    package static func value(_ message: String) -> GradError { GradError("ValueError", message) }
    package static func name(_ name: String) -> GradError { GradError("NameError", "name '\(name)' is not defined") }
    package static func attribute(_ typeName: String, _ attr: String) -> GradError {
        GradError("AttributeError", "'\(typeName)' object has no attribute '\(attr)'")
    }
    package static func index(_ message: String) -> GradError { GradError("IndexError", message) }
    package static func runtime(_ message: String) -> GradError { GradError("RuntimeError", message) }
    package static func zeroDivision(_ message: String) -> GradError { GradError("ZeroDivisionError", message) }

    package var description: String { "\(type): \(message)" }

    /// The same error, located at `loc` unless it already has a location.
    package func located(_ loc: SourceLocation) -> GradError {
        var e = self
        if e.location == nil { e.location = loc }
        return e
    }
}

/// What was still open when a chunk of input ended: the reason it is incomplete, with the
/// place it was opened, for the continuation prompt and for the error at end of input.
package enum Unfinished: Equatable {
    /// A block whose `<` came but whose `>` did not.
    case block(head: String, at: SourceLocation)
    /// A block head (`no_grad`, `def f(x)`) whose `<` has not come.
    case blockBody(head: String, at: SourceLocation)
    case bracket(Character, at: SourceLocation)
    case string(at: SourceLocation)
    case decorator(at: SourceLocation)
    /// A Python block (the lines indented under `if ...:`) that more indented lines may
    /// continue; `head` names it, `at` is its statement's start. `topLevel`: no gradsh
    /// block is open around it, so a line indented no more than the chunk's first ends it.
    case suite(head: String, at: SourceLocation, topLevel: Bool)

    package var location: SourceLocation {
        switch self {
        case .block(_, let at), .blockBody(_, let at), .bracket(_, let at), .string(let at), .decorator(let at), .suite(_, let at, _): return at
        }
    }

    /// Why the input cannot end here.
    package var message: String {
        switch self {
        case .block(let head, _):
            return head.isEmpty ? "a block opened with '<' was never closed with '>'"
                : "the \(head) block opened here was never closed with '>'"
        case .blockBody(let head, _): return "the \(head) block has no body: '<' was expected"
        case .bracket(let c, _): return "'\(c)' was never closed"
        case .string: return "the string opened here was never closed"
        case .decorator: return "a decorator must be followed by a def"
        case .suite(let head, _, _): return "the \(head) block is not finished"
        }
    }
}
