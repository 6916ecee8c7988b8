import ArgumentParser
import GradShell

/// `gradsh`: parse arguments, pick an input reader, run.
struct GradshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradsh",
        abstract: "A terminal shell for learning and using autograd.",
        version: GradShell.version)

    func run() throws {
        print("gradsh \(GradShell.version): the language front end is not built yet; see README.md.")
    }
}

GradshCommand.main()
