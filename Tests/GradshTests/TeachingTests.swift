import Foundation
import GradShell
import XCTest

/// Step mode, --echo, :lessons and the process memory :mem reports, driven through the real binary.
final class TeachingTests: XCTestCase {
    var lesson: URL { Gradsh.testsFolder.deletingLastPathComponent().appendingPathComponent("examples/01_graphs.grad") }

    func testStepModeRunsOneStatementPerEnterAndQuitsOnQ() throws {
        let r = try Gradsh.run(["--step", "--no-color", lesson.path], input: "\n\nq\n", mergeOutput: true)
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("grad> x = tensor([1.0, 2.0, 3.0], requires_grad=True)   (Enter: run it, q: quit, b: previous step, or type any statement)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("x = tensor([1., 2., 3.], requires_grad=True)"))
        XCTAssertTrue(r.stdout.contains("grad> x.is_leaf"))
        XCTAssertTrue(r.stdout.contains("\nTrue\n"))
        XCTAssertTrue(r.stdout.contains("grad> y = x * x"), "the third statement is shown")
        XCTAssertFalse(r.stdout.contains("grad_fn=<MulBackward0>"), "but q quits before it runs")
    }

    /// Lines typed at a step run in the lesson's variables, blocks too; the lesson's own
    /// line numbers are kept; `b` replays the step before.
    func testStepModeRunsWhatIsTypedBetweenSteps() throws {
        let tour = lesson.deletingLastPathComponent().appendingPathComponent("00_tour.grad")
        let keys = "\n\nx.requires_grad\nb\nno_grad <\n  w = x * 2\n>\n\n\n\n\nx * p\n\nq\n"
        let r = try Gradsh.run(["--step", "--no-color", tour.path], input: keys, mergeOutput: true)
        XCTAssertEqual(r.status, 1, "the lesson's own error counts")
        XCTAssertTrue(r.stdout.contains("grad> y.backward() \nTrue\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(the previous step again)\n> y = (x * x).sum()\ny = tensor(14., grad_fn=<SumBackward0>)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("w = tensor([2., 4., 6.])"), r.stdout)
        XCTAssertTrue(r.stdout.contains("<stdin>:5:3: error: RuntimeError: Inference tensors cannot be saved for backward"), "typed: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("00_tour.grad:15:3: error: RuntimeError: Inference tensors"), "the lesson's: \(r.stdout)")
        XCTAssertFalse(r.stdout.contains("p was made at line 12 inside `inference` while"), "q quit before :why")
    }

    func testStepModeRunsToTheEndWhenKeysRunOut() throws {
        let r = try Gradsh.run(["--step", "--no-color", lesson.path], input: String(repeating: "\n", count: 40), mergeOutput: true)
        XCTAssertTrue(r.stdout.contains("c = tensor([2., 4.])"), r.stdout)
    }

    func testEchoPrintsEachStatementBeforeItsResult() throws {
        let r = try Gradsh.run(["--echo", "--no-color", "-c", "# a comment\nx = ones(2, requires_grad=True)\nno_grad <\n  y = x * 2\n>\ny"], mergeOutput: true)
        XCTAssertEqual(r.stdout, """
        # a comment
        grad> x = ones(2, requires_grad=True)
        x = tensor([1., 1.], requires_grad=True)
        # leaf that requires grad: backward() accumulates into its .grad
        grad> no_grad <
        ...   y = x * 2
        ... >
        y = tensor([2., 2.])
        # no graph: made inside `no_grad` (line 4), so autograd did not record it
        grad> y
        tensor([2., 2.])
        # no graph: made inside `no_grad` (line 4), so autograd did not record it

        """)
    }

    /// A statement at the left margin after an indented Python block is a step of its own
    /// (the block's `else:` is not), in --echo as in step mode.
    func testEchoStartsAStepAfterAPythonBlock() throws {
        let source = "def f(t):\n    return t * 2\n\nw = f(1)\nif w > 1:\n    a = 1\nelse:\n    a = 2\nb = a"
        let r = try Gradsh.run(["--echo", "--no-color", "-c", source])
        XCTAssertEqual(r.stdout, """
        grad> def f(t):
        ...     return t * 2

        grad> w = f(1)
        w = 2
        grad> if w > 1:
        ...     a = 1
        ... else:
        ...     a = 2
        grad> b = a
        b = 1

        """)
    }

    /// A handout made with `--echo > file` is complete: each error comes on standard output
    /// right after its statement, before the next one.
    func testEchoWritesErrorsInOrderOnStandardOutput() throws {
        let r = try Gradsh.run(["--echo", "--no-color", "-c", "x = ones(2, requires_grad=True)\nx.add_(1.0)\ny = 2"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let statement = try XCTUnwrap(lines.firstIndex(of: "grad> x.add_(1.0)"), r.stdout)
        XCTAssertTrue(lines[statement + 1].hasPrefix("<string>:2:7: error: RuntimeError: a leaf Variable that requires grad is being used in an in-place operation."), r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("hint:") }, r.stdout)
        XCTAssertEqual(lines.suffix(2), ["grad> y = 2", "y = 2"], r.stdout)
    }

    /// The README's tour is what `gradsh --echo examples/00_tour.grad` prints today.
    func testReadmeTourIsTheTourLessonsOutput() throws {
        let root = Gradsh.testsFolder.deletingLastPathComponent()
        let r = try Gradsh.run(["--echo", "--no-color", "examples/00_tour.grad"], directory: root)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains("```\n" + r.stdout + "```\n"), "update README.md's tour from:\n\(r.stdout)")
    }

    /// The lessons built into the binary are the files in examples/, byte for byte
    /// (scripts/embed-lessons regenerates them).
    func testBuiltInLessonsAreTheExampleFiles() throws {
        let folder = Gradsh.testsFolder.deletingLastPathComponent().appendingPathComponent("examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".grad") }.sorted()
        XCTAssertEqual(Lessons.builtIn.map(\.name), files, "run scripts/embed-lessons")
        for (name, text) in Lessons.builtIn {
            XCTAssertEqual(text, try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8), "\(name): run scripts/embed-lessons")
        }
    }

    /// A copy of the binary alone, run from an empty folder, lists and steps through its lessons.
    func testLessonsWorkFromAnInstalledBinaryInAnyFolder() throws {
        let place = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-install-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: place.appendingPathComponent("bin"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: place) }
        let installed = place.appendingPathComponent("bin/gradsh")
        try FileManager.default.copyItem(at: Gradsh.binary, to: installed)
        let r = try Gradsh.run(["--no-color"], input: ":lessons\n:lesson 0\n", mergeOutput: true, binary: installed, directory: place)
        XCTAssertTrue(r.stdout.contains(" 0  a short tour"), r.stdout)
        XCTAssertTrue(r.stdout.contains("10  the article's PyTorch, as written."), r.stdout)
        XCTAssertTrue(r.stdout.contains("grad> x = tensor([1.0, 2.0, 3.0], requires_grad=True)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("p was made at line 12 inside `inference`"), "the lesson ran to its :why: \(r.stdout)")
    }

    /// `:draw` boxes each node: the result with what its node saved, ops with theirs, leaves
    /// with values and gradients; two edges to one input are one line marked ×2.
    func testDrawShowsTheGraphAsBoxes() throws {
        let r = try Gradsh.run(["--no-color", "-c", "x = tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = (x * x).sum();\ny.backward()\n:draw y"])
        XCTAssertEqual(r.stdout, """
        x = tensor([1., 2., 3.], requires_grad=True)
        # leaf that requires grad: backward() accumulates into its .grad
        ┌──────────────────────┐
        │ y [] = 14            │
        │ grad_fn=SumBackward0 │
        └───────────┬──────────┘
            ┌───────┴──────┐
            │ MulBackward0 │
            └───────┬──────┘
                    │ ×2
           ┌────────┴───────┐
           │ x [3]          │
           │ data [1, 2, 3] │
           │ grad [2, 4, 6] │
           └────────────────┘

        """)
    }

    /// A node reached along two paths is drawn once and referred to by its tag; saved
    /// tensors are named, parameters by their path in the model.
    func testDrawTagsSharedNodesAndNamesParameters() throws {
        let source = "x = tensor([1.0, 2.0], requires_grad=True)\nw = x.exp()\nz = w * x + w;\n:draw z\n"
            + "manual_seed(0)\nmodel = Sequential(Linear(2, 1));\nout = model(x.unsqueeze(0)).sum();\n:draw out\n:graph out"
        let r = try Gradsh.run(["--no-color", "-c", source], environment: ["COLUMNS": "100"])
        XCTAssertTrue(r.stdout.contains("│ ExpBackward0 #1 │"), r.stdout)
        XCTAssertTrue(r.stdout.contains("┆ see ExpBackward0 #1 ┆"), r.stdout)
        XCTAssertTrue(r.stdout.contains("│ saved w [2]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("│ model.0.weight [1, 2]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("│ model.0.bias [1]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("AccumulateGrad → model.0.weight [1, 2]"), ":graph names it too: \(r.stdout)")
        XCTAssertFalse(r.stdout.contains("unnamed"), r.stdout)
    }

    /// A scalar operand a node saved is shown by its value, in the tree and in the boxes.
    func testGraphShowsSavedScalars() throws {
        let source = "x = tensor([1.0, 2.0], requires_grad=True)\ny = (x * 3).pow(2).clamp(min=0.5).sum();\n:graph y\n:draw y\nprint(y.grad_fn.next_functions[0][0]._saved_min)"
        let r = try Gradsh.run(["--no-color", "-c", source])
        XCTAssertTrue(r.stdout.contains("└─ MulBackward0  saved: [] = 3 saved at v0"), r.stdout)
        XCTAssertTrue(r.stdout.contains("└─ PowBackward0  saved: [2] = [3, 6] saved at v0  exponent = 2"), r.stdout)
        XCTAssertTrue(r.stdout.contains("└─ ClampBackward1  saved: [2] = [9, 36] saved at v0  min = 0.5"), r.stdout)
        XCTAssertTrue(r.stdout.contains("│ saved [] = 3 │"), r.stdout)
        XCTAssertTrue(r.stdout.contains("│ exponent = 2       │"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("\n0.5\n"), "grad_fn._saved_min as in PyTorch: \(r.stdout)")
    }

    /// `:dot NAME FILE.svg` without Graphviz writes the DOT and says how to install it.
    func testDotSaysHowToInstallGraphvizWhenItIsMissing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-dot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try Gradsh.run(["--no-color", "-c", "x = ones(2, requires_grad=True)\ny = (x * x).sum();\n:dot y graph.svg"],
                               environment: ["PATH": folder.path], directory: folder)
        XCTAssertTrue(r.stdout.contains("Graphviz is not installed, so graph.svg was not rendered (install Graphviz with: apt-get install graphviz)"), r.stdout)
        let dot = try String(contentsOf: folder.appendingPathComponent("graph.dot"), encoding: .utf8)
        XCTAssertTrue(dot.hasPrefix("digraph \"y\" {"), dot)
    }

    /// A graph too wide for the terminal is shown as the tree, and says so.
    func testDrawFallsBackToTheTreeWhenTooWide() throws {
        let source = "manual_seed(0)\nmodel = Sequential(Linear(3, 2), Tanh(), Linear(2, 1));\nloss = ((model(randn(4, 3)) - 1.0) ** 2).mean();\n:draw loss"
        let wide = try Gradsh.run(["--no-color", "-c", source], environment: ["COLUMNS": "120"])
        XCTAssertTrue(wide.stdout.contains("│ loss [] ="), wide.stdout)
        let narrow = try Gradsh.run(["--no-color", "-c", source], environment: ["COLUMNS": "60"])
        XCTAssertTrue(narrow.stdout.hasPrefix("(too big for boxes in 60 columns: here is the tree of :graph"), narrow.stdout)
        XCTAssertTrue(narrow.stdout.contains("AccumulateGrad → model.2.weight [1, 2]"), narrow.stdout)
    }

    /// `:save` writes what the session showed, in order: code, results with graph lines,
    /// errors with hints, and graph pictures (inline in the HTML page, escaped code).
    func testSaveWritesMarkdownAndHTMLHandouts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-save-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = "# Handout test\nx = tensor([1.0, 2.0], requires_grad=True)\nx.add_(1.0)\nno_grad < x.add_(1.0) >\ny = (x * x).sum()\n:draw y\n:save out.md\n:save out.html\n:save ."
        let r = try Gradsh.run(["--no-color", "-c", source], mergeOutput: true, directory: folder)
        XCTAssertTrue(r.stdout.contains("wrote out.md (Markdown: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("wrote out.html (an HTML page: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("cannot write '.': is a directory"), r.stdout)
        let markdown = try String(contentsOf: folder.appendingPathComponent("out.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("```python\n# Handout test\nx = tensor([1.0, 2.0], requires_grad=True)\n```\n"), markdown)
        XCTAssertTrue(markdown.contains("```python\nx.add_(1.0)\n```\n\n```text\n<string>:3:7: error: RuntimeError: a leaf Variable that requires grad is being used in an in-place operation."), markdown)
        XCTAssertTrue(markdown.contains("hint: x was created at line 2"), markdown)
        XCTAssertTrue(markdown.contains("# graph: grad_fn=SumBackward0"), markdown)
        XCTAssertTrue(markdown.contains("│ y [] = 13"), markdown)
        XCTAssertFalse(markdown.contains(":save"), "the command itself is not in the handout")
        let html = try String(contentsOf: folder.appendingPathComponent("out.html"), encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<pre class=\"code\">no_grad &lt; x.add_(1.0) &gt;</pre>"), html)
        XCTAssertTrue(html.contains("<pre class=\"error\">&lt;string&gt;:3:7: error: RuntimeError"), html)
        XCTAssertTrue(html.contains("<pre class=\"graph has\"># graph: grad_fn=SumBackward0"), html)
        XCTAssertTrue(html.contains("<figure class=\"graph\"><svg") || html.contains("<figure class=\"graph\"><pre class=\"drawing\">"), html)
        XCTAssertFalse(html.contains("wrote out.md"), "what :save said is not in the next handout")
    }

    /// `--echo --format md|html` turns a lesson into a handout on standard output.
    func testEchoFormatWritesAHandout() throws {
        let tour = lesson.deletingLastPathComponent().appendingPathComponent("00_tour.grad")
        let md = try Gradsh.run(["--echo", "--format", "md", tour.path])
        XCTAssertEqual(md.status, 1, "the tour has an error on purpose")
        XCTAssertTrue(md.stdout.hasPrefix("# Lesson 0: a short tour"), md.stdout)
        XCTAssertTrue(md.stdout.contains("```python\nx * p\n```\n\n```text\n"), md.stdout)
        XCTAssertEqual(md.stderr, "")
        let html = try Gradsh.run(["--echo", "--format", "html", tour.path])
        XCTAssertTrue(html.stdout.contains("<title>Lesson 0: a short tour"), html.stdout)
        let bad = try Gradsh.run(["--format", "md", tour.path])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--format needs --echo"), bad.stderr)
    }

    /// Wrapping never splits a word, keeps every word in order, indents continuation
    /// lines, and leaves short lines alone.
    func testWrapBreaksOnlyBetweenWords() {
        let text = "hint: p was created at line 12 inside `inference`; inference tensors cannot join autograd later. Use no_grad there instead, or p.clone() for a normal tensor"
        for width in [20, 33, 40, 61, 80] {
            let wrapped = Wrap.lines(text, width: width, indent: "      ")
            let lines = wrapped.split(separator: "\n").map(String.init)
            XCTAssertTrue(lines.allSatisfy { $0.count <= width }, "\(width):\n\(wrapped)")
            XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasPrefix("      ") && !$0.hasPrefix("       ") }, wrapped)
            XCTAssertEqual(wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }), text.split(separator: " "), "no word split or lost")
        }
        XCTAssertEqual(Wrap.lines("short line", width: 80, indent: "  "), "short line")
        XCTAssertEqual(Wrap.lines("abc defghijklmnopqrstuvwxyz0123456789", width: 20, indent: ""), "abc\ndefghijklmnopqrstuvwxyz0123456789", "a long word keeps its own line")
        XCTAssertEqual(Wrap.lines("one two three", width: 20, indent: "", taken: 12), "one two\nthree")
    }

    /// `:set` changes how things are explained and how tensors print, and says what it set.
    func testSetCommand() throws {
        let source = ":set print threshold 5\narange(10.0)\n:set explain short\nx = ones(2, requires_grad=True)\n(x * 2).sum()\n:set wide off\n:set print precision x\n:set"
        let r = try Gradsh.run(["--no-color", "-c", source], environment: ["COLUMNS": "50"], mergeOutput: true)
        XCTAssertTrue(r.stdout.contains("tensor([0., 1., 2.,  ..., 7., 8., 9.])"), r.stdout)
        XCTAssertTrue(r.stdout.contains("# leaf, requires grad\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("# graph: SumBackward0, 3 nodes, 8 B saved\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("error: CommandError: ':set print\n  precision' needs a whole number, not 'x'"), "wrapped at 50 columns: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("wide off"), r.stdout)
        XCTAssertTrue(r.stdout.contains("explain short"), r.stdout)
        XCTAssertTrue(r.stdout.contains("print precision=4, threshold=5,"), r.stdout)
    }

    /// A difference is reported only when the samples' spreads do not overlap.
    func testCompareVerdictNamesOnlyRealDifferences() {
        let grad = Timing(perRun: [0.90, 0.95, 1.00, 1.20], loops: 10)
        let noGrad = Timing(perRun: [0.40, 0.45, 0.50, 0.52], loops: 20)
        let noisy = Timing(perRun: [0.50, 0.93, 1.10], loops: 10)
        XCTAssertEqual(grad.median, 0.975)
        XCTAssertEqual(ShellCommands.verdict("no_grad", noGrad, against: "grad", grad), "no_grad against grad: 2.05x faster")
        XCTAssertEqual(ShellCommands.verdict("grad", grad, against: "no_grad", noGrad), "grad against no_grad: 2.05x slower")
        XCTAssertEqual(ShellCommands.verdict("inference", noisy, against: "grad", grad), "inference against grad: no measurable difference (the spreads overlap)")
    }

    /// `:compare` samples each mode in turns and tables median and spread; `:timeit` does
    /// the same for one statement; neither leaves a trace.
    func testCompareAndTimeitReportMedianAndSpread() throws {
        let source = "w = ones(8, 8, requires_grad=True)\nx = ones(4, 8)\n:compare (x @ w).tanh().sum()\n:timeit no_grad < w.add_(1) >\nw.sum()"
        let r = try Gradsh.run(["--no-color", "-c", source], mergeOutput: true)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        for mode in ["grad ", "no_grad ", "inference "] {
            let row = try XCTUnwrap(lines.first { $0.hasPrefix(mode) }, r.stdout)
            XCTAssertNotNil(row.range(of: #"^\S+ +[0-9.]+ [µm]?s \([0-9.]+ [µm]?s–[0-9.]+ [µm]?s\)"#, options: .regularExpression), row)
        }
        XCTAssertTrue(r.stdout.contains("(median of "), r.stdout)
        let verdicts = lines.filter { $0.contains(" against ") }
        XCTAssertEqual(verdicts.count, 2, r.stdout)
        for v in verdicts {
            XCTAssertNotNil(v.range(of: #": (no measurable difference \(the spreads overlap\)|[0-9.]+x (faster|slower))$"#, options: .regularExpression), v)
        }
        XCTAssertNotNil(r.stdout.range(of: #"median [0-9.]+ [µm]?s \([0-9.]+ [µm]?s–[0-9.]+ [µm]?s over [0-9]+ samples of [0-9]+ runs?\); each run undone"#, options: .regularExpression), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("tensor(64., grad_fn=<SumBackward0>)\n# graph: grad_fn=SumBackward0, 2 nodes, no saved tensors\n"), "w.add_(1) was undone every time: \(r.stdout)")
    }

    /// `--json` results carry the graph line's facts as data (cause, nodes, bytes, where
    /// the tensor was made), and the explanation is the text the terminal shows.
    func testJSONEventsCarryTheGraphLinesFacts() throws {
        let source = """
        x = tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        no_grad < z = x * 2 >
        inference < p = x * 2 >
        d = x.detach()
        k = arange(3)
        y.backward()
        g = x.grad
        """
        let json = try Gradsh.run(["--json", "-c", source])
        let text = try Gradsh.run(["--no-color", "-c", source])
        let graphLines = text.stdout.split(separator: "\n").filter { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) }
        var facts: [String: [String: Any]] = [:]
        var explanations: [String] = []
        for line in json.stdout.split(separator: "\n") {
            let event = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let graph = try XCTUnwrap(event["graph"] as? [String: Any], String(line))
            facts[try XCTUnwrap(event["target"] as? String)] = graph
            explanations.append(try XCTUnwrap(graph["explanation"] as? String))
        }
        XCTAssertEqual(explanations, graphLines, "the same words as the terminal")
        func cause(_ name: String) -> String? { facts[name]?["cause"] as? String }
        XCTAssertEqual(cause("x"), "leaf_requiring_grad")
        XCTAssertEqual(cause("y"), "graph")
        XCTAssertEqual(facts["y"]?["carries_graph"] as? Bool, true)
        XCTAssertEqual(facts["y"]?["nodes"] as? Int, 3)
        XCTAssertEqual(facts["y"]?["saved_tensors"] as? Int, 2)
        XCTAssertEqual(facts["y"]?["saved_bytes"] as? Int, 8)
        XCTAssertEqual(facts["y"]?["graph_only_bytes"] as? Int, 0)
        XCTAssertEqual(cause("z"), "grad_mode_off")
        XCTAssertEqual(facts["z"]?["carries_graph"] as? Bool, false)
        XCTAssertEqual((facts["z"]?["made_at"] as? [String: Any])?["block"] as? String, "no_grad")
        XCTAssertEqual((facts["z"]?["made_at"] as? [String: Any])?["line"] as? Int, 3)
        XCTAssertEqual(cause("p"), "inference_tensor")
        XCTAssertEqual(cause("d"), "detached")
        XCTAssertEqual(cause("k"), "not_floating_point")
        XCTAssertEqual(cause("g"), "gradient")
        XCTAssertNil(facts["z"]?["nodes"], "no graph, no node count")
    }

    /// Every lesson ends with at least two exercises.
    func testEveryLessonEndsWithExercises() throws {
        for (name, text) in Lessons.builtIn {
            let steps = text.components(separatedBy: "\nexercise \"")
            XCTAssertGreaterThanOrEqual(steps.count - 1, 2, "\(name) has fewer than two exercises")
            let tail = try XCTUnwrap(steps.last)
            XCTAssertTrue(tail.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(">"), "\(name) goes on after its exercises")
        }
    }

    /// Stepping through a lesson, an exercise waits for answers: a miss says what is still
    /// wrong, the second miss adds the hint, `?` asks for it, a right answer goes on.
    func testStepModeAsksExercises() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradsh-exercise-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lessonFile = folder.appendingPathComponent("lesson.grad")
        try Gradsh.exerciseLesson.write(to: lessonFile, atomically: true, encoding: .utf8)
        let keys = "\nz = x * 3\nz = x * 2\n?\n:why z\nno_grad < z = x * 2 >\n\n"
        let r = try Gradsh.run(["--step", "--no-color", lessonFile.path], input: keys, mergeOutput: true)
        let out = r.stdout
        let order = ["# exercise: Make z = x * 2 without a graph", "not yet: z should equal x * 2", "not yet: z carries a graph\nhint: wrap it in no_grad < ... >",
                     "hint: wrap it in no_grad < ... >", "z was made at line 2", "correct: all 2 checks pass", "after = 1"]
        var from = out.startIndex
        for piece in order {
            guard let found = out.range(of: piece, range: from..<out.endIndex) else { return XCTFail("'\(piece)' missing or out of order in:\n\(out)") }
            from = found.upperBound
        }
        let shown = try Gradsh.run(["--step", "--no-color", lessonFile.path], input: "\ns\n\n", mergeOutput: true)
        XCTAssertTrue(shown.stdout.contains("the solution:\nz = tensor([2., 4.])"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("solved: all 2 checks pass"), shown.stdout)
    }

    func testLessonsCommand() throws {
        let r = try Gradsh.run(["--no-color"], input: ":lessons\n:lesson 99\n", environment: ["GRADSH_LESSONS": lesson.deletingLastPathComponent().path], mergeOutput: true)
        XCTAssertTrue(r.stdout.contains(" 1  graphs."), r.stdout)
        XCTAssertTrue(r.stdout.contains(" 9  detach() vs no_grad"), r.stdout)
        XCTAssertTrue(r.stdout.contains("there is no lesson 99"), r.stdout)
    }

    /// :mem's resident figure is the OS's: making a 64 MiB tensor (every page written) raises it.
    func testMemReportsResidentMemoryThatFollowsTensors() throws {
        let r = try Gradsh.run(["--no-color", "-c", ":mem\nbig = ones(4096, 4096)\n:mem"], mergeOutput: true)
        let figures = try mebibytes(after: "process resident memory (as the OS counts it): ", in: r.stdout)
        XCTAssertEqual(figures.count, 2, r.stdout)
        XCTAssertGreaterThan(figures[1] - figures[0], 60, r.stdout)
    }

    /// :mem says how much freed memory the allocator keeps: dropping a 4 MiB tensor adds it there.
    func testMemReportsFreedMemoryTheAllocatorKeeps() throws {
        let r = try Gradsh.run(["--no-color", "-c", "a = ones(1024, 1024)\n:mem\na = 0\n:mem"], mergeOutput: true)
        let figures = try mebibytes(after: "freed memory the allocator keeps resident for reuse: ", in: r.stdout)
        XCTAssertEqual(figures.count, 2, r.stdout)
        XCTAssertGreaterThan(figures[1] - figures[0], 3.9, r.stdout)
    }

    /// The byte counts (`12.5 MiB`, `300 B`, ...) that follow `prefix` on the lines that start with it, in MiB.
    private func mebibytes(after prefix: String, in output: String) throws -> [Double] {
        let units: [Substring: Double] = ["B": 1.0 / 1_048_576, "KiB": 1.0 / 1024, "MiB": 1, "GiB": 1024]
        return try output.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map { line in
            let words = line.dropFirst(prefix.count).split(separator: " ")
            let value = try XCTUnwrap(words.first.flatMap { Double($0) }, String(line))
            let unit = try XCTUnwrap(words.dropFirst().first.map { $0.trimmingCharacters(in: .punctuationCharacters) }, String(line))
            return value * (try XCTUnwrap(units[Substring(unit)], String(line)))
        }
    }
}
