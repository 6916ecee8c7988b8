import GradCore

/// The gradsh language: lexer, parser, interpreter and value display.
package enum GradLang {
    package static let version = "0.1.0"
}
