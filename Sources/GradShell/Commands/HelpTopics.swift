import Foundation

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
        (":why NAME", "why NAME does or does not carry a graph, where it was made, and what autograd will refuse later"),
        (":dot NAME [FILE]", "Graphviz DOT of the graph; FILE.svg or FILE.png is rendered with Graphviz's dot"),
        (":mode", "the grad mode now in effect, and the blocks open at this point"),
        (":mem", "bytes of live tensors and of what each variable's graph holds alive; resident and allocator-kept memory"),
        (":time STMT", "runs STMT, shows how long it took, then undoes it (it leaves no trace)"),
        (":compare EXPR", "evaluates EXPR under grad, no_grad and inference: time, graph nodes, bytes held, later use (each run undone)"),
        (":load FILE", "runs a script in this session"),
        (":lessons", "lists the lessons"),
        (":lesson N", "steps through lesson N: each statement is shown, Enter runs it, q quits"),
        (":reset", "forgets every variable and restores the default grad mode"),
        (":quit", "leaves gradsh (also exit, quit, or Ctrl-D on an empty line)"),
    ]

    static let modes: [String: String] = [
        "no_grad": """
        no_grad < ... >   (also @no_grad, torch.no_grad(), @torch.no_grad())
        Turns grad mode off for the block: operations record nothing, so results carry no graph
        and keep no saved tensors alive. Use it for evaluation and for updating parameters by
        hand (param.add_(...) on a leaf that requires grad is only allowed here). On exit both
        flags return to what they were. Results are normal tensors: autograd can use them later
        as constants.
        """,
        "enable_grad": """
        enable_grad < ... >   (also @enable_grad, torch.enable_grad())
        Turns grad mode back on inside no_grad. Inside inference it sets the grad flag but
        records nothing: inference mode still wins.
        """,
        "inference": """
        inference < ... >   (also @inference, torch.inference_mode(), inference(True))
        Grad off and inference on: like no_grad but faster, and results are inference
        tensors: no version counter, and later autograd refuses to save them for backward;
        outside inference mode they cannot be changed in place or made to require grad. Use
        clone() to get a normal tensor. Blocks nest; inference(False) < ... > switches inference
        off and grad on for its body.
        """,
        "set_grad_enabled": """
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

    /// Signatures and one-line descriptions of the builtins.
    static let builtins: [String: String] = [
        "tensor": "tensor(data, dtype=None, requires_grad=False): a tensor from nested lists of numbers",
        "zeros": "zeros(*size, dtype=float32, requires_grad=False): a tensor of zeros",
        "ones": "ones(*size, dtype=float32, requires_grad=False): a tensor of ones",
        "full": "full(size, fill_value, dtype=None): a tensor filled with one value",
        "eye": "eye(n, m=None): the identity matrix",
        "arange": "arange(start=0, end, step=1): evenly spaced values in [start, end)",
        "linspace": "linspace(start, end, steps): steps values from start to end inclusive",
        "rand": "rand(*size): uniform random numbers in [0, 1) from the seeded generator",
        "randn": "randn(*size): standard normal random numbers from the seeded generator",
        "randint": "randint(low=0, high, size): random integers in [low, high)",
        "randperm": "randperm(n): a random permutation of 0..n-1",
        "zeros_like": "zeros_like(t, dtype=None): zeros with t's shape", "ones_like": "ones_like(t, dtype=None): ones with t's shape",
        "rand_like": "rand_like(t): uniform random numbers with t's shape", "randn_like": "randn_like(t): normal random numbers with t's shape",
        "full_like": "full_like(t, value): t's shape filled with value", "empty_like": "empty_like(t): zeros with t's shape",
        "manual_seed": "manual_seed(n): reseeds the generator behind rand, randn, randint, shuffling and dropout",
        "exp": "exp(x): e**x elementwise (ExpBackward0 saves its result)",
        "log": "log(x): natural logarithm (LogBackward0 saves its input)",
        "sqrt": "sqrt(x): square root (SqrtBackward0 saves its result)",
        "abs": "abs(x): absolute value of a number or tensor",
        "sin": "sin(x): sine", "cos": "cos(x): cosine", "tanh": "tanh(x): hyperbolic tangent (saves its result)",
        "sigmoid": "sigmoid(x): 1 / (1 + exp(-x)) (saves its result)",
        "relu": "relu(x): max(x, 0) elementwise; gradient 0 at 0",
        "neg": "neg(x): -x", "sign": "sign(x): -1, 0 or 1 per element", "square": "square(x): x * x",
        "clamp": "clamp(x, min=None, max=None): limits values; gradient passes where min <= x <= max",
        "clip": "clip(x, min=None, max=None): the same as clamp",
        "pow": "pow(x, e): x ** e",
        "maximum": "maximum(a, b): elementwise larger value", "minimum": "minimum(a, b): elementwise smaller value",
        "where": "where(condition, a, b): a where condition is True, b elsewhere",
        "sum": "sum(x, dim=None, keepdim=False): sum of all elements or along dim (Python's sum for lists)",
        "mean": "mean(x, dim=None, keepdim=False): mean of a float tensor",
        "prod": "prod(x, dim=None, keepdim=False): product of elements",
        "max": "max(x) | max(x, dim, keepdim=False) -> (values, indices) | max(a, b) elementwise | max of numbers",
        "min": "min(x) | min(x, dim, keepdim=False) -> (values, indices) | min(a, b) elementwise | min of numbers",
        "argmax": "argmax(x, dim=None, keepdim=False): index of the largest value",
        "argmin": "argmin(x, dim=None, keepdim=False): index of the smallest value",
        "all": "all(x, dim=None): whether every element is true", "any": "any(x, dim=None): whether some element is true",
        "matmul": "matmul(a, b) or a @ b: matrix product (1-D, 2-D and batched)", "mm": "mm(a, b): product of two matrices",
        "dot": "dot(a, b): dot product of two vectors", "mv": "mv(m, v): matrix times vector",
        "t": "t(x): transpose of a tensor of at most 2 dimensions (a view)",
        "transpose": "transpose(x, dim0, dim1): swaps two dims (a view)", "permute": "permute(x, dims): reorders dims (a view)",
        "reshape": "reshape(x, shape): a view when possible, otherwise a copy",
        "view": "view(x, shape): a view with a new shape; fails on incompatible strides (use reshape)",
        "flatten": "flatten(x, start_dim=0, end_dim=-1): collapses dims into one",
        "squeeze": "squeeze(x, dim=None): drops size-1 dims", "unsqueeze": "unsqueeze(x, dim): inserts a size-1 dim",
        "expand": "expand(x, *sizes): broadcasts without copying (stride 0)",
        "cat": "cat(tensors, dim=0): joins tensors along an existing dim", "concat": "concat(tensors, dim=0): the same as cat",
        "stack": "stack(tensors, dim=0): joins equal-shaped tensors along a new dim",
        "clone": "clone(x): a copy with its own memory (CloneBackward0); outside inference mode a normal tensor",
        "detach": "detach(x): the same memory without graph; see :help detach",
        "numel": "numel(x): number of elements", "is_inference": "is_inference(x): whether x is an inference tensor",
        "eq": "eq(a, b): a == b", "ne": "ne(a, b): a != b", "lt": "lt(a, b): a < b", "le": "le(a, b): a <= b",
        "gt": "gt(a, b): a > b", "ge": "ge(a, b): a >= b",
        "logical_not": "logical_not(x): elementwise not", "logical_and": "logical_and(a, b): elementwise and",
        "logical_or": "logical_or(a, b): elementwise or",
        "floor_divide": "floor_divide(a, b): a // b", "remainder": "remainder(a, b): a % b with the sign of b",
        "add": "add(a, b): a + b", "sub": "sub(a, b): a - b", "mul": "mul(a, b): a * b", "div": "div(a, b): a / b",
        "softmax": "softmax(x, dim): exp(x) normalised along dim (saves its result)",
        "log_softmax": "log_softmax(x, dim): log of softmax, computed stably",
        "mse_loss": "mse_loss(input, target, reduction='mean'): mean squared error",
        "cross_entropy": "cross_entropy(logits, labels, reduction='mean'): nll_loss(log_softmax(logits, 1), labels)",
        "nll_loss": "nll_loss(log_probs, labels, reduction='mean'): negative log likelihood",
        "dropout": "dropout(x, p=0.5, training=True): zeroes elements with probability p, scales the rest",
        "linear": "linear(x, weight, bias=None): x @ weight.T + bias",
        "Linear": "Linear(in_features, out_features, bias=True): a layer y = x @ W.T + b, PyTorch's initialisation",
        "ReLU": "ReLU(): the relu layer", "Sigmoid": "Sigmoid(): the sigmoid layer", "Tanh": "Tanh(): the tanh layer",
        "Dropout": "Dropout(p=0.5): dropout while model.training; nothing after model.eval()",
        "Sequential": "Sequential(*layers): applies layers in order; model[i] is a layer",
        "SGD": "SGD(params, lr, momentum=0, weight_decay=0): step() updates parameters in place without recording",
        "Adam": "Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08): step() updates parameters in place",
        "TensorDataset": "TensorDataset(*tensors): rows of tensors that share their first dimension",
        "DataLoader": "DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False): batches for for-loops",
        "make_blobs": "make_blobs(n_samples=100, centers=3, n_features=2, seed=0, cluster_std=1.0): (X, y) gaussian blobs",
        "is_grad_enabled": "is_grad_enabled(): the grad flag", "is_inference_mode_enabled": "is_inference_mode_enabled(): the inference flag",
        "set_grad_enabled": "set_grad_enabled(b): see :help set_grad_enabled",
        "no_grad": "no_grad: see :help no_grad", "enable_grad": "enable_grad: see :help enable_grad",
        "inference_mode": "inference_mode: see :help inference",
        "autograd.grad": "autograd.grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False): a tuple of gradients; .grad is left alone",
        "autograd.backward": "autograd.backward(tensor, grad_tensors=None, retain_graph=None): the same as tensor.backward(...)",
        "print": "print(*values, sep=' ', end='\\n')", "len": "len(x): length of a list, tuple, string, tensor (first dim), loader or dataset",
        "range": "range(stop) | range(start, stop, step=1)", "float": "float(x): a Python float", "int": "int(x): a Python int",
        "bool": "bool(x): truth value", "str": "str(x): text form", "repr": "repr(x): the repr", "list": "list(iterable)",
        "tuple": "tuple(iterable)", "round": "round(x, ndigits=None): Python's rounding (half to even)",
        "enumerate": "enumerate(iterable, start=0): (index, item) pairs", "zip": "zip(*iterables): tuples of items",
        "sorted": "sorted(iterable, reverse=False)", "isinstance": "isinstance(value, type)", "type": "type(value)",
        "add_": "x.add_(other, alpha=None): adds in place (version + 1); on a leaf that requires grad only under no_grad",
        "sub_": "x.sub_(other, alpha=None): subtracts in place", "mul_": "x.mul_(other): multiplies in place",
        "div_": "x.div_(other): divides in place", "zero_": "x.zero_(): fills with zeros in place (x.grad.zero_() resets a gradient)",
        "fill_": "x.fill_(value): fills with one value in place", "copy_": "x.copy_(src): copies src's values in (broadcast, converted)",
        "clamp_": "x.clamp_(min=None, max=None): clamps in place", "relu_": "x.relu_(): relu in place (saves its result)",
        "exp_": "x.exp_(): exp in place", "abs_": "x.abs_(): abs in place", "pow_": "x.pow_(e): power in place",
        "uniform_": "x.uniform_(a=0, b=1): fills with uniform random numbers in place",
        "normal_": "x.normal_(mean=0, std=1): fills with normal random numbers in place",
        "item": "x.item(): the single element as a Python number", "tolist": "x.tolist(): nested Python lists",
        "size": "x.size(dim=None): the shape, or one dim's size", "shape": "x.shape: the shape as a tuple",
        "contiguous": "x.contiguous(): x itself if contiguous, otherwise a copy (CloneBackward0)",
    ]

    /// The help text for `topic`, or nil when there is none.
    static func text(for rawTopic: String) -> String? {
        let topic = rawTopic.trimmingCharacters(in: .whitespaces)
        let bare = topic.hasPrefix("torch.") ? String(topic.dropFirst(6)) : topic
        if topic.isEmpty { return overview }
        switch bare {
        case "modes", "grad modes": return modes.keys.sorted().map { modes[$0]! }.joined(separator: "\n")
        case "concepts": return concepts.keys.sorted().map { concepts[$0]! }.joined(separator: "\n")
        case "builtins": return "Builtins (each also under torch., nn., F., optim.):\n" + wrap(builtins.keys.sorted())
        case "commands": return commands.map { "  \($0.0.padding(toLength: 18, withPad: " ", startingAt: 0)) \($0.1)" }.joined(separator: "\n")
        case "inference_mode": return modes["inference"]
        case "version", "_version", "version counter", "version_counter": return concepts["version counter"]
        case "inference tensor", "inference_tensor", "is_inference": return concepts["inference tensor"]
        case "retain_grad": return "retain_grad(): keep this non-leaf's gradient in .grad during backward (non-leaves have .grad None otherwise)"
        case "backward": return "x.backward(gradient=None, retain_graph=False): gradients of x into the .grad of every leaf that requires grad; x must be a scalar unless gradient is given\n" + concepts["retain_graph"]!
        case "grad", ".grad": return "x.grad: the gradient backward() accumulated into leaf x (None before the first backward); set it to None to reset"
        case "requires_grad", "requires_grad_": return "x.requires_grad: whether autograd tracks x. Settable on leaves (x.requires_grad = True, x.requires_grad_()); only float tensors can require grad"
        case "is_leaf": return concepts["leaf"]
        default: break
        }
        if let m = modes[bare] { return m }
        if let c = concepts[bare] { return c }
        if let b = builtins[bare] { return b }
        let command = bare.hasPrefix(":") ? bare : ":" + bare
        if let c = commands.first(where: { $0.0.split(separator: " ")[0] == command }) { return "\(c.0): \(c.1)" }
        return nil
    }

    /// Every topic name, for completion and suggestions.
    static var allTopics: [String] {
        Array(modes.keys) + Array(concepts.keys) + Array(builtins.keys) + ["modes", "concepts", "builtins", "commands"]
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
