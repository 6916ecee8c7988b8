import Foundation
import GradCore
import GradLang

/// The text behind `:help` and `?name`: grad modes, concepts, builtins and commands.
enum HelpTopics {
    static let overview = """
    gradsh runs a small PyTorch-flavoured language on its own autograd engine.
    Every result is followed by a line saying whether it carries a graph, and why not.

      x = tensor([1.0, 2.0], requires_grad=True)     a leaf that requires grad
      y = (x * x).sum(); y.backward(); x.grad        gradients
      no_grad < z = x * 2 >                          grad-mode blocks: no_grad, enable_grad,
      inference < p = x * 2 >                          inference, set_grad_enabled(b)
      @no_grad                                       decorators on functions
      def f(t) < return t * 2 >

    Help topics:  :help modes   :help concepts   :help builtins   :help commands
                  :help NAME (a mode, concept, builtin or command)   ?NAME is short for it
    """

    static let commands: [(String, String)] = [
        (":help [topic]", "help on a grad mode, concept, builtin or command (?name for short)"),
        (":vars", "a table of variables: shape, dtype, requires_grad, is_leaf, grad_fn, inference, version, graph bytes"),
        (":graph NAME", "the backward graph of NAME drawn as a tree, with saved tensors and their versions"),
        (":draw NAME", "the graph as boxes: ops, shapes, saved tensors, and values and grads when small (parameters named model.0.weight)"),
        (":why NAME", "why NAME does or does not carry a graph, where it was made, and what autograd will refuse later"),
        (":dot NAME [FILE]", "Graphviz DOT of the graph; FILE.svg or FILE.png is rendered with Graphviz's dot"),
        (":save FILE", "writes the session so far as a handout: Markdown, or one HTML page with graph pictures for FILE.html"),
        (":mode", "the grad mode now in effect, and the blocks open at this point"),
        (":set [NAME VALUE]", "shows or changes: wide on|off|auto (off wraps explanations for a projector), explain short|long, print threshold N (and precision, edgeitems, linewidth, sci_mode, profile)"),
        (":mem", "bytes of live tensors and of what each variable's graph holds alive; resident and allocator-kept memory"),
        (":time STMT", "runs STMT, shows how long it took, then undoes it (it leaves no trace)"),
        (":timeit STMT", "runs STMT many times, each run undone: the median time per run and the spread of the samples"),
        (":compare EXPR", "EXPR under grad, no_grad and inference, sampled in turns: median time and spread, graph nodes, bytes held, later use, and which differences are real (each run undone)"),
        (":load FILE", "runs a script in this session"),
        (":lessons", "lists the lessons"),
        (":lesson N", "steps through lesson N: Enter runs the statement shown, q quits, b shows the step before, anything else runs as typed"),
        (":reset", "forgets every variable and restores the default grad mode"),
        (":quit", "leaves gradsh (also exit, quit, or Ctrl-D on an empty line)"),
    ]

    static let modes: [String: String] = [
        GradModeKind.noGrad.rawValue: """
        no_grad < ... >   (also @no_grad, torch.no_grad(), @torch.no_grad())
        Turns grad mode off for the block: operations record nothing, so results carry no graph
        and keep no saved tensors alive. Use it for evaluation and for updating parameters by
        hand (param.add_(...) on a leaf that requires grad is only allowed here). On exit both
        flags return to what they were. Results are normal tensors: autograd can use them later
        as constants.
        """,
        GradModeKind.enableGrad.rawValue: """
        enable_grad < ... >   (also @enable_grad, torch.enable_grad())
        Turns grad mode back on inside no_grad. Inside inference it sets the grad flag but
        records nothing: inference mode still wins.
        """,
        GradModeKind.inference.rawValue: """
        inference < ... >   (also @inference, torch.inference_mode(), inference(True))
        Grad off and inference on: like no_grad but faster, and results are inference
        tensors: no version counter, and later autograd refuses to save them for backward;
        outside inference mode they cannot be changed in place or made to require grad. Use
        clone() to get a normal tensor. Blocks nest; inference(False) < ... > switches inference
        off and grad on for its body.
        """,
        GradModeKind.setGradEnabled.rawValue: """
        set_grad_enabled(b) < ... >   as a block or decorator: grad mode = b for the body.
        set_grad_enabled(b)            as a plain call: changes grad mode until a block ends or
                                       another call changes it back.
        """,
    ]

    static let concepts: [String: String] = [
        "leaf": """
        leaf: a tensor with no grad_fn. Made by you (tensor(..., requires_grad=True)), by
        creation functions, under no_grad, or by detach(). backward() accumulates gradients
        only into leaves that require grad (.grad). A leaf that requires grad cannot be changed
        in place while grad mode is on: use no_grad.
        """,
        "grad_fn": """
        grad_fn: the backward node that made a tensor (MulBackward0, SumBackward0, ...). Its
        next_functions lead to the nodes of its inputs; a leaf's node is AccumulateGrad. Nodes
        keep the tensors their backward rule needs alive until backward frees them.
        """,
        "version counter": """
        version counter (x._version): bumped by every in-place change (add_, x[i] = v, x += 1).
        Views share it with their base. Backward checks that every saved tensor still has the
        version it had when it was saved; if not, it fails with "modified by an inplace
        operation". exp, tanh, sigmoid, relu, sqrt, softmax save their result; *, /, @, pow,
        log save their inputs.
        """,
        "inference tensor": """
        inference tensor: made by any op inside inference mode (except views of normal
        tensors). It has no version counter; autograd refuses to save it for backward, and
        outside inference mode it cannot be changed in place or made to require grad.
        x.is_inference() tells; clone() outside inference mode gives a normal tensor.
        """,
        "retain_graph": """
        retain_graph: backward() frees the tensors a graph saved, so a second backward through
        the same nodes fails ("Trying to backward through the graph a second time"). Pass
        retain_graph=True to keep them for one more pass. Graphs whose nodes save nothing
        (+, -, sum, views) can be run again anyway.
        """,
        "detach": """
        detach(): a tensor that shares memory and version counter with the original but has no
        graph and does not require grad. detach_() does the same in place.
        """,
    ]

    /// Signatures and one-line descriptions of the builtins that are not tensor ops (the
    /// ops' help comes from their registry entries), and of the Python builtins that share
    /// a name with one (`sum` of a list, `max` of numbers).
    static let builtins: [String: String] = [
        "tensor": "tensor(data, dtype=None, requires_grad=False): a tensor from nested lists of numbers",
        "randint": "randint(low=0, high, size): random integers in [low, high)",
        "abs": "abs(n): of a Python number, a Python number",
        "sum": "sum(iterable, start=0): of a list or tuple, Python's sum",
        "max": "max(a, b, ...) | max(iterable): of Python numbers, the largest",
        "min": "min(a, b, ...) | min(iterable): of Python numbers, the smallest",
        "TensorDataset": "TensorDataset(*tensors): rows of tensors that share their first dimension",
        "DataLoader": "DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False): batches for for-loops",
        "make_blobs": "make_blobs(n_samples=100, centers=3, n_features=2, seed=0, cluster_std=1.0): (X, y) gaussian blobs",
        "is_grad_enabled": "is_grad_enabled(): the grad flag",
        "is_inference_mode_enabled": "is_inference_mode_enabled(): the inference flag",
        "autograd.grad": "autograd.grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False): a tuple of gradients; .grad is left alone",
        "autograd.backward": "autograd.backward(tensor, grad_tensors=None, retain_graph=None): the same as tensor.backward(...)",
        "print": "print(*values, sep=' ', end='\\n')",
        "len": "len(x): length of a list, tuple, string, tensor (first dim), loader or dataset",
        "range": "range(stop) | range(start, stop, step=1)",
        "float": "float(x): a Python float",
        "int": "int(x): a Python int",
        "bool": "bool(x): truth value",
        "str": "str(x): text form",
        "repr": "repr(x): the repr",
        "list": "list(iterable)",
        "tuple": "tuple(iterable)",
        "round": "round(x, ndigits=None): Python's rounding (half to even)",
        "enumerate": "enumerate(iterable, start=0): (index, item) pairs",
        "zip": "zip(*iterables): tuples of items",
        "sorted": "sorted(iterable, reverse=False)",
        "isinstance": "isinstance(value, type)",
        "tolist": "x.tolist(): nested Python lists",
        "shape": "x.shape: the shape as a tuple",
    ]

    /// The help text for `topic`, or nil when there is none.
    static func text(for rawTopic: String) -> String? {
        let topic = rawTopic.trimmingCharacters(in: .whitespaces)
        let bare = topic.hasPrefix("torch.") ? String(topic.dropFirst(6)) : topic
        if topic.isEmpty { return overview }
        switch bare {
        case "modes", "grad modes": return modes.keys.sorted().map { modes[$0]! }.joined(separator: "\n")
        case "concepts": return concepts.keys.sorted().map { concepts[$0]! }.joined(separator: "\n")
        case "builtins":
            return "Builtins (each also under torch., nn., F., optim.):\n" + wrap(Completion.builtinNames)
                + "\nTensor methods (x.NAME(...); :help NAME for one):\n" + wrap(Completion.tensorMethodNames)
        case "commands": return commands.map { "  \($0.0.padding(toLength: 18, withPad: " ", startingAt: 0)) \($0.1)" }.joined(separator: "\n")
        case "version", "_version", "version counter", "version_counter": return concepts["version counter"]
        case "inference tensor", "inference_tensor", "is_inference": return concepts["inference tensor"]
        case "retain_grad": return "retain_grad(): keep this non-leaf's gradient in .grad during backward (non-leaves have .grad None otherwise)"
        case "backward": return "x.backward(gradient=None, retain_graph=False): gradients of x into the .grad of every leaf that requires grad; x must be a scalar unless gradient is given\n" + concepts["retain_graph"]!
        case "grad", ".grad": return "x.grad: the gradient backward() accumulated into leaf x (None before the first backward); set it to None to reset"
        case "requires_grad", "requires_grad_": return "x.requires_grad: whether autograd tracks x. Settable on leaves (x.requires_grad = True, x.requires_grad_()); only float tensors can require grad"
        case "is_leaf": return concepts["leaf"]
        default: break
        }
        if let kind = GradModeKind(name: bare), let m = modes[kind.rawValue] { return m }
        if let c = concepts[bare] { return c }
        if let op = OpRegistry.helpText(bare) { return [builtins[bare], op].compactMap { $0 }.joined(separator: "\n") }
        if let layer = ModuleRegistry.helpText(bare) { return layer }
        if let b = builtins[bare] { return b }
        let command = bare.hasPrefix(":") ? bare : ":" + bare
        if let c = commands.first(where: { $0.0.split(separator: " ")[0] == command }) { return "\(c.0): \(c.1)" }
        return nil
    }

    /// Every topic name, for completion and suggestions.
    static var allTopics: [String] {
        Array(modes.keys) + GradModeKind.allCases.map(\.torchName) + Array(concepts.keys) + Array(builtins.keys)
            + Completion.tensorMethodNames
            + ["modes", "concepts", "builtins", "commands"]
            + commands.map { String($0.0.split(separator: " ")[0].dropFirst()) }
    }

    private static func wrap(_ words: [String]) -> String {
        var lines: [String] = []
        var line = " "
        for w in words {
            if line.count + w.count + 1 > 78 { lines.append(line); line = " " }
            line += " " + w
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
