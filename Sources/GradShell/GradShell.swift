import GradLang

/// The shell around the language: input readers, the session loop and colon commands.
public enum GradShell {
    public static var version: String { GradLang.version }
}
