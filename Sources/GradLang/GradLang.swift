import GradCore

/// The gradsh language: lexer, parser, interpreter and value display.
public enum GradLang {
    public static let version = "0.1.0"
}
