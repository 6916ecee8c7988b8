import Foundation
import XCTest

/// Drives the real shell on a terminal through tmux, as a person would: prompts per mode,
/// continuation prompts, completion, history across sessions, Ctrl-C and Ctrl-D.
final class TerminalTests: XCTestCase {
    /// One gradsh running in its own tmux server.
    final class Terminal {
        let socket = "gradsh-test-\(UUID().uuidString.prefix(8))"
        let historyFile: String

        /// `historyFile` nil: no GRADSH_HISTORY, so the history goes where `environment`'s
        /// HOME says.
        init(historyFile: String?, environment: [String: String] = [:], width: Int = 110, arguments: [String] = []) throws {
            self.historyFile = historyFile ?? ""
            let settings = (historyFile.map { ["GRADSH_HISTORY=\($0)"] } ?? ["-u", "GRADSH_HISTORY"]) + ["NO_COLOR=1"]
                + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let command = "env " + settings.joined(separator: " ") + " \(Gradsh.binary.path)" + arguments.map { " '\($0)'" }.joined()
            try tmux(["new-session", "-d", "-x", String(width), "-y", "45", command])
            try tmux(["set-option", "-g", "remain-on-exit", "on"])
            // Start-up is given longer than a statement: on a loaded machine the first
            // process in a fresh tmux server can take seconds to be scheduled.
            try waitFor("grad>", timeout: 30)
        }

        deinit { _ = try? tmux(["kill-server"]) }

        /// Runs a tmux command through the shell, its output through a file: the tmux server
        /// started by the first command outlives it and must not hold our pipes.
        @discardableResult
        func tmux(_ arguments: [String]) throws -> String {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            let quoted = (["tmux", "-u", "-L", socket] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            let status = system("TERM=${TERM:-xterm} LC_ALL=C.UTF-8 " + quoted.joined(separator: " ") + " > \(file) 2>/dev/null < /dev/null")
            if status == -1 { throw NSError(domain: "terminal", code: 2) }
            return (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        }

        func type(_ text: String) throws { try tmux(["send-keys", "-l", text]) }
        func key(_ name: String) throws { try tmux(["send-keys", name]) }

        /// Types a line at a fresh prompt (keys typed before the prompt appears would be
        /// echoed by the terminal instead of the line editor) and presses Enter.
        func enter(_ text: String) throws {
            try waitForPrompt()
            try type(text)
            try key("Enter")
        }

        /// Waits for a prompt with nothing typed after it: a line that merely ends in `>`
        /// may be the previous input (`  >`) still waiting for the shell to read it.
        /// Ctrl-C once the statement is surely running; waits for the report and the prompt.
        func interruptRunningStatement() throws {
            usleep(400_000)
            try key("C-c")
            try waitFor("KeyboardInterrupt")
            try waitUntil("a prompt after the interrupt") { lastLine == "grad>" }
        }

        func waitForPrompt() throws {
            try waitUntil("a prompt") { Terminal.isBarePrompt(self.lastLine) }
        }

        /// `grad>`, `no_grad>`, `inference>`, `...>` or `BLOCK ...>` (trailing spaces are
        /// trimmed by capture-pane).
        static func isBarePrompt(_ line: String) -> Bool {
            if ["grad>", "no_grad>", "inference>", "...>"].contains(line) { return true }
            guard line.hasSuffix(" ...>") else { return false }
            let block = line.dropLast(5)
            return !block.isEmpty && !block.contains(" ")
        }

        var screen: String { (try? tmux(["capture-pane", "-p"])) ?? "" }

        /// The screen as one line: the shell wraps explanations at spaces (a line break and
        /// the continuation's indent of two or more spaces read as one space); a line the
        /// terminal broke because it was too long is joined back.
        var flatScreen: String {
            screen.replacingOccurrences(of: "\n  +", with: " ", options: .regularExpression).replacingOccurrences(of: "\n", with: "")
        }

        var lastLine: String {
            screen.split(separator: "\n").last.map(String.init) ?? ""
        }

        var isFinished: Bool { (try? tmux(["display-message", "-p", "#{pane_dead}"]))?.hasPrefix("1") ?? false }

        /// Waits until the screen contains `text` (or `condition` holds).
        func waitFor(_ text: String, timeout: Double = 10) throws {
            try waitUntil(timeout: timeout, "'\(text)' on screen") { self.screen.contains(text) }
        }

        func waitUntil(timeout: Double = 10, _ what: String, _ condition: () -> Bool) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if condition() { return }
                usleep(50_000)
            }
            let pane = (try? tmux(["display-message", "-p", "pane #{pane_pid} dead=#{pane_dead} status=#{pane_dead_status}"])) ?? "no pane"
            throw NSError(domain: "terminal", code: 1, userInfo: [NSLocalizedDescriptionKey: "timed out after \(timeout) s waiting for \(what) (\(pane.trimmingCharacters(in: .whitespacesAndNewlines))); screen:\n\(screen)"])
        }
    }

    var history = ""

    override func setUpWithError() throws {
        guard ShellCommandsAvailable.tmux else { throw XCTSkip("tmux is not installed (.ci/run installs it)") }
        history = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-history-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: history)
    }

    func testPromptsFollowTheModeAndNameTheOpenBlock() throws {
        let t = try Terminal(historyFile: history)
        try t.enter("x = tensor([1.0, 2.0], requires_grad=True)")
        try t.waitFor("# leaf that requires grad")
        try t.enter("no_grad <")
        try t.waitFor("no_grad ...>")
        try t.enter("  inference <")
        try t.waitFor("inference ...>")
        try t.enter("    p = x * 2")
        try t.enter("  >")
        try t.waitUntil("back in the no_grad block") { t.lastLine.hasPrefix("no_grad ...>") }
        try t.enter(">")
        try t.waitFor("p = tensor([2., 4.])")
        try t.waitUntil("grad prompt") { t.lastLine == "grad>" }
        try t.enter("y = (x +")
        try t.waitUntil("bracket continuation") { t.lastLine.hasPrefix("...>") }
        try t.enter("1)")
        try t.waitFor("y = tensor([2., 3.], grad_fn=<AddBackward0>)")
        try t.enter("set_grad_enabled(False)")
        try t.waitUntil("no_grad prompt") { t.lastLine == "no_grad>" }
        try t.enter("set_grad_enabled(True)")
        try t.waitUntil("grad prompt again") { t.lastLine == "grad>" }
    }

    func testTabCompletion() throws {
        let t = try Terminal(historyFile: history)
        try t.enter("weights = zeros(2)")
        try t.waitFor("weights = tensor")
        try t.waitForPrompt()
        try t.type("weigh")
        try t.key("Tab")
        try t.waitUntil("a variable name") { t.lastLine == "grad> weights" }
        try t.type(".requi")
        try t.key("Tab")
        try t.waitUntil("a tensor attribute") { t.lastLine.hasPrefix("grad> weights.requires_grad") }
        try t.key("C-u")
        try t.type(":va")
        try t.key("Tab")
        try t.waitUntil("a command") { t.lastLine.hasPrefix("grad> :vars") }
        try t.key("C-u")
        try t.type("zeros(2, requ")
        try t.key("Tab")
        try t.waitUntil("a keyword argument") { t.lastLine.hasPrefix("grad> zeros(2, requires_grad=") }
        // An object's methods and attributes, from its class.
        try t.key("C-u")
        try t.key("Enter")
        try t.enter("class Runner < def sprint(self) < return 1 > >")
        try t.enter("r = Runner()")
        try t.waitFor("r = <__main__.Runner object>")
        try t.waitForPrompt()
        try t.type("r.spr")
        try t.key("Tab")
        try t.waitUntil("a method of the object's class") { t.lastLine.hasPrefix("grad> r.sprint") }
    }

    func testHistoryPersistsAcrossSessionsAndBlocksAreOneEntry() throws {
        do {
            let t = try Terminal(historyFile: history)
            try t.enter("answer = 41")
            try t.waitFor("answer = 41")
            try t.enter("answer = 41")
            try t.enter("no_grad <")
            try t.enter("  twice = answer * 2")
            try t.enter(">")
            try t.waitFor("twice = 82")
            try t.waitForPrompt()
            try t.key("C-d")
            try t.waitUntil("exit on Ctrl-D") { t.isFinished }
        }
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        XCTAssertTrue(saved.contains("answer"), saved)
        let t = try Terminal(historyFile: history)
        try t.waitForPrompt()
        try t.key("Up")
        try t.waitUntil("the block recalled as one entry") { t.screen.contains("twice = answer * 2") }
        try t.key("C-u")
        try t.key("Up")
        try t.key("Up")
        try t.waitUntil("the earlier entry") { t.lastLine == "grad> answer = 41" }
        try t.key("Up")
        usleep(200_000)
        XCTAssertEqual(t.lastLine, "grad> answer = 41", "the repeated entry was stored once")
        try t.key("Enter")
        try t.waitUntil("the recalled entry runs") { t.screen.components(separatedBy: "answer = 41").count >= 3 }
    }

    /// History is appended, only to the user's own regular file, in $HOME by default; a
    /// device or FIFO given as the history is left alone and does not block start-up.
    func testHistoryFileIsOnlyEverAppended() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-home-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let existing = folder.appendingPathComponent("notes.txt").path
        try "keep me\n".write(toFile: existing, atomically: true, encoding: .utf8)
        do {
            let t = try Terminal(historyFile: existing)
            try t.enter("kept = 1")
            try t.waitFor("kept = 1")
            try t.waitForPrompt()
            try t.key("C-d")
            try t.waitUntil("exit on Ctrl-D") { t.isFinished }
        }
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "keep me\nkept = 1\n")

        let fifo = folder.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        do {
            let t = try Terminal(historyFile: fifo)
            try t.enter("through = 2")
            try t.waitFor("through = 2")
        }
        var info = stat()
        XCTAssertEqual(stat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o644, "the FIFO's mode is unchanged")

        do {
            let t = try Terminal(historyFile: nil, environment: ["HOME": folder.path])
            try t.enter("home = 3")
            try t.waitFor("home = 3")
            try t.waitForPrompt()
            try t.key("C-d")
            try t.waitUntil("exit on Ctrl-D") { t.isFinished }
        }
        XCTAssertEqual(try String(contentsOfFile: folder.appendingPathComponent(".gradsh_history").path, encoding: .utf8), "home = 3\n")
    }

    func testControlCCancelsALineAndInterruptsAStatement() throws {
        let t = try Terminal(historyFile: history)
        try t.enter("n = 5")
        try t.waitFor("n = 5")
        try t.waitForPrompt()
        try t.type("this line is abandoned")
        try t.key("C-c")
        try t.waitUntil("a fresh prompt") { t.lastLine == "grad>" }
        try t.enter("no_grad <")
        try t.waitFor("no_grad ...>")
        try t.key("C-c")
        try t.waitUntil("the block is cancelled") { t.lastLine == "grad>" }
        try t.enter("for i in range(1000000000) < n = i >")
        try t.interruptRunningStatement()
        try t.enter("n")
        try t.waitUntil("n is as it was before the statement") { t.screen.contains("\n5\n") }
        try t.enter("is_grad_enabled()")
        try t.waitFor("True")
        // In-place writes are undone too, and the message says which tensors.
        try t.enter("w = zeros(1)")
        try t.waitFor("w = tensor([0.])")
        try t.waitForPrompt()
        try t.enter("for k in range(10**9) < w.add_(1) >")
        usleep(400_000)
        try t.key("C-c")
        try t.waitUntil("the message names w") { t.flatScreen.contains("its changes to w)") }
        try t.waitUntil("a prompt after the second interrupt") { t.lastLine == "grad>" }
        try t.enter("w.item(), w._version")
        try t.waitFor("(0.0, 0)")
        // Python's `with` block: the continuation prompt names it, an empty line runs it.
        try t.enter("with torch.no_grad():")
        try t.waitUntil("the with block's prompt") { t.lastLine == "no_grad ...>" }
        try t.enter("    p = w + 1")
        try t.enter("")
        try t.waitFor("no graph: made inside `with torch.no_grad()`")
        // A rejected one takes its indented lines with it; an empty line ends them.
        try t.enter("with torch.no_grad():")
        try t.enter("    r = 1 +* 2")
        try t.waitFor("not run either")
        try t.enter("    q = 1")
        try t.enter("")
        try t.waitUntil("the prompt is back") { t.lastLine == "grad>" }
        try t.enter("q")
        try t.waitFor("name 'q' is not defined")
    }

    /// A `:load`ed file is one unit for Ctrl-C: the file stops, the shell goes on.
    func testControlCStopsALoadedFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-slow-\(getpid()).grad")
        try "a = 1\nfor i in range(10**12) < a = a + 1 >\nafter_loop = 2\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let t = try Terminal(historyFile: history)
        try t.enter(":load \(file.path)")
        try t.waitFor("a = 1")
        try t.interruptRunningStatement()
        try t.enter("after_loop")
        try t.waitFor("name 'after_loop' is not defined")
        try t.enter("a")
        try t.waitUntil("a is as the file left it before the loop") { t.screen.contains("\n1\n") }
    }

    func testExitAndQuit() throws {
        for word in ["exit", "quit", ":quit"] {
            let t = try Terminal(historyFile: history)
            try t.enter(word)
            try t.waitUntil("\(word) leaves") { t.isFinished }
        }
        let t = try Terminal(historyFile: history)
        try t.waitForPrompt()
        try t.type("partial")
        try t.key("C-d")
        usleep(300_000)
        XCTAssertFalse(t.isFinished, "Ctrl-D exits only on an empty line")
        try t.key("C-u")
        try t.key("C-d")
        try t.waitUntil("Ctrl-D on an empty line leaves") { t.isFinished }
    }

    /// While stepping through a lesson the teacher can talk: `:why x` and an expression run
    /// between steps, `b` shows the step before again, Enter goes on, `q` leaves stepping.
    func testStepModeTakesCommandsBetweenSteps() throws {
        let t = try Terminal(historyFile: history)
        try t.enter(":lesson 0")
        try t.waitFor("(Enter: run it, q: quit, b: previous step")
        try t.key("Enter")
        try t.waitFor("x = tensor([1., 2., 3.], requires_grad=True)")
        try t.waitUntil("the next step waits") { t.lastLine.hasPrefix("grad> y = (x * x).sum()") }
        try t.type(":why x")
        try t.key("Enter")
        try t.waitFor("x was made at line 4 as a leaf that requires grad")
        try t.waitUntil("the same step waits again") { t.lastLine == "grad> y = (x * x).sum()   (Enter runs it)" }
        try t.type("x.shape")
        try t.key("Enter")
        try t.waitFor("(3,)")
        try t.waitUntil("the same step waits again") { t.lastLine == "grad> y = (x * x).sum()   (Enter runs it)" }
        try t.type("b")
        try t.key("Enter")
        try t.waitFor("(the previous step again)")
        try t.waitUntil("the same step waits again") { t.lastLine == "grad> y = (x * x).sum()   (Enter runs it)" }
        XCTAssertFalse(t.screen.contains("y = tensor(14."), "nothing typed ran the step")
        try t.key("Enter")
        try t.waitFor("y = tensor(14., grad_fn=<SumBackward0>)")
        try t.waitUntil("the third step waits") { t.lastLine.hasPrefix("grad> y.backward()") }
        try t.type("q")
        try t.key("Enter")
        try t.enter("y.requires_grad")
        try t.waitFor("\nTrue\n")
    }

    /// `:draw` draws boxes on the terminal, lined up.
    func testDrawOnTheTerminal() throws {
        let t = try Terminal(historyFile: history)
        try t.enter("x = tensor([1.0, 2.0], requires_grad=True)")
        try t.enter("y = (x * 3).sum()")
        try t.enter(":draw y")
        try t.waitFor("│ saved [] = 3 │")
        let lines = t.screen.split(separator: "\n").map(String.init)
        let top = try XCTUnwrap(lines.firstIndex { $0.contains("│ y [] = 9") }, t.screen)
        let joint = try XCTUnwrap(lines[(top + 1)...].first { $0.contains("┬") }, t.screen)
        let below = try XCTUnwrap(lines[(top + 2)...].first { $0.contains("┴") }, t.screen)
        XCTAssertEqual(Array(joint).firstIndex(of: "┬"), Array(below).firstIndex(of: "┴"), "the line runs straight down:\n\(t.screen)")
        XCTAssertTrue(t.screen.contains("│ data [1, 2]"), t.screen)
    }

    /// On an 80-column terminal, explanations, errors and hints wrap at spaces, with
    /// continuation lines indented; `:set wide on` gives the long lines back.
    func testExplanationsWrapToTheTerminalWidth() throws {
        let t = try Terminal(historyFile: history, width: 80)
        try t.enter("x = tensor([1.0, 2.0], requires_grad=True)")
        try t.enter("inference < p = x * 2 >")
        try t.enter("x * p")
        try t.waitFor("hint:")
        try t.waitForPrompt()
        let lines = t.screen.split(separator: "\n").map(String.init)
        // Broken only at spaces: the whole message reads back with single spaces.
        let message = "RuntimeError: Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
        XCTAssertTrue(t.screen.replacingOccurrences(of: "\n  ", with: " ").contains(message), t.screen)
        XCTAssertTrue(lines.contains { $0.hasPrefix("#   ") }, "graph line continued: \(t.screen)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("      ") && !$0.hasPrefix("       ") }, "hint continued: \(t.screen)")
        XCTAssertTrue(t.flatScreen.contains("hint: p was created at line 2 inside `inference`; inference tensors cannot join autograd later."), t.screen)
        try t.enter(":set wide on")
        try t.enter("p")
        try t.waitUntil("the long line back") { t.screen.replacingOccurrences(of: "\n", with: "").contains("it cannot be changed in place or made to require grad") }
    }

    /// A learner answers an exercise at its own prompt: a wrong answer is told what is still
    /// wrong, a right one moves on.
    func testExerciseIsAnsweredAtThePrompt() throws {
        let lesson = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-lesson-\(UUID().uuidString).grad")
        defer { try? FileManager.default.removeItem(at: lesson) }
        try Gradsh.exerciseLesson.write(to: lesson, atomically: true, encoding: .utf8)
        let t = try Terminal(historyFile: history, arguments: ["--step", lesson.path])
        try t.key("Enter")
        try t.waitUntil("the exercise prompt") { t.lastLine == "exercise>" }
        try t.type("z = x * 2")
        try t.key("Enter")
        try t.waitFor("not yet: z carries a graph")
        try t.waitUntil("the exercise prompt again") { t.lastLine == "exercise>" }
        try t.type("no_grad < z = x * 2 >")
        try t.key("Enter")
        try t.waitFor("correct: all 2 checks pass")
        try t.waitUntil("the next step") { t.lastLine.hasPrefix("grad> after = 1") }
    }

    /// A line that ends in `;` shows nothing; the value is there.
    func testTrailingSemicolonHidesTheResult() throws {
        let t = try Terminal(historyFile: history)
        // tmux reads a `;` that ends an argument as its own command separator: `\\;` is a `;`.
        try t.enter("big = arange(12.0)\\;")
        try t.waitForPrompt()
        try t.enter("big.sum()")
        try t.waitFor("tensor(66.)")
        XCTAssertFalse(t.screen.contains("big = tensor"), t.screen)
    }

    func testNonASCIIInput() throws {
        let t = try Terminal(historyFile: history)
        try t.enter("s = \"héllo ∂ 😀\"")
        try t.waitFor("s = 'héllo ∂ 😀'")
        try t.enter("len(s)")
        try t.waitFor("\n9\n")
    }

    func testPastedTranscriptPromptsAreStripped() throws {
        let t = try Terminal(historyFile: history)
        try t.enter("grad> a = 3")
        try t.waitFor("a = 3")
        try t.enter(">>> b = a + 1")
        try t.waitFor("b = 4")
        try t.enter("no_grad ...> c = b * 2")
        try t.waitFor("c = 8")
    }

    /// Only a real prompt is stripped: code that merely starts like one runs as typed, and
    /// the prompt takes the same chunks as a file.
    func testCodeThatLooksLikeAPromptRunsAsTyped() throws {
        let t = try Terminal(historyFile: history)
        try t.enter("x = zeros(1)")
        try t.waitFor("x = tensor([0.])")
        try t.waitForPrompt()
        try t.enter("no_grad < x.add_(1) > # update")
        try t.waitForPrompt()
        try t.enter("x.item()")
        try t.waitFor("1.0")
        try t.enter("inference < p = 2 > ; q = 3")
        try t.waitFor("q = 3")
        try t.enter("p")
        try t.waitUntil("p was assigned too") { t.screen.contains("\n2\n") }
        try t.enter("grad = 5")
        try t.waitFor("grad = 5")
        try t.waitForPrompt()
        try t.enter("grad > 3")
        try t.waitFor("True")
        try t.enter("no_grad < for i in range(3) < c = i > >")
        try t.waitForPrompt()
        try t.enter("c")
        try t.waitUntil("the nested loop ran") { t.screen.contains("\n2\n") }
        XCTAssertFalse(t.screen.contains("SyntaxError"), t.screen)
    }
}

enum ShellCommandsAvailable {
    static let tmux: Bool = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/tmux") }
    }()
}
