import ArgumentParser
import Foundation
import enum GradLang.GradLang
import GradShell

/// `gradsh`: parse arguments, pick an input reader, run. Nothing else.
struct GradshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradsh",
        abstract: "A terminal shell for learning and using autograd.",
        discussion: "Runs FILE, the code given with -c, or standard input; on a terminal it starts the interactive shell.",
        version: GradLang.version)

    @ArgumentParser.Argument(help: "A gradsh script to run.")
    var file: String?

    @Option(name: .customShort("c"), help: "Run this code instead of a file.")
    var code: String?

    @Flag(help: "Write one JSON event per line to standard output.")
    var json = false

    @Flag(help: "Show only print output and errors.")
    var quiet = false

    @Flag(help: "Stop at the first error.")
    var bail = false

    @Flag(name: .customLong("no-color"), help: "Never colour the output.")
    var noColor = false

    @Flag(help: "Step through FILE: show each statement, run it when Enter is pressed (q quits).")
    var step = false

    @Flag(help: "Print each statement, after a prompt, before its results and errors, all on standard output (for handouts).")
    var echo = false

    @Option(help: "With --echo: write the run as a handout, md (Markdown) or html (one page with the graph pictures).")
    var format: String?

    @Option(help: "Interrupt any statement that runs longer than this many seconds, as Ctrl-C would.")
    var timeout: Double?

    @Option(name: .customLong("max-memory"),
            help: "The session's memory budget, as 512M, 2G or a number of bytes (default: half of physical memory).")
    var maxMemory: String?

    func validate() throws {
        if file != nil && code != nil { throw ValidationError("give a FILE or -c CODE, not both") }
        if step && file == nil { throw ValidationError("--step needs a FILE to step through") }
        if step && json { throw ValidationError("--step and --json do not go together") }
        if let f = format {
            guard ["md", "markdown", "html"].contains(f.lowercased()) else { throw ValidationError("--format is md or html (got '\(f)')") }
            guard echo else { throw ValidationError("--format needs --echo: it writes what --echo shows as a handout") }
            if json { throw ValidationError("--format and --json do not go together") }
        }
        if let t = timeout, !(t > 0 && t.isFinite) { throw ValidationError("--timeout needs a positive number of seconds") }
        if let m = maxMemory, MemorySize.bytes(m) == nil {
            throw ValidationError("--max-memory needs a size of at least 1M, such as 512M, 2G or 1.5GiB (got '\(m)')")
        }
    }

    func run() throws {
        var options = Launcher.Options(file: file, code: code, json: json, quiet: quiet, bail: bail, noColor: noColor)
        options.step = step
        options.echo = echo
        options.handoutHTML = format.map { $0.lowercased() == "html" }
        options.timeout = timeout
        options.maxMemory = maxMemory.flatMap(MemorySize.bytes)
        let status = Launcher.run(options)
        throw ExitCode(status)
    }
}

Launcher.blockInterruptSignal()

// Usage errors exit with 2 (not ArgumentParser's 64), as the contract says.
do {
    var command = try GradshCommand.parseAsRoot()
    try command.run()
} catch let exit as ExitCode {
    Foundation.exit(exit.rawValue)
} catch {
    let code = GradshCommand.exitCode(for: error)
    let message = GradshCommand.fullMessage(for: error)
    if code == .success {
        print(message)
        Foundation.exit(0)
    }
    FileHandle.standardError.write(Data((message + "\n").utf8))
    Foundation.exit(2)
}
