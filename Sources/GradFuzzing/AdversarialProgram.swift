import GradCore
import GradLang

/// Programs that call everything the shell offers with the arguments that break programs:
/// every builtin, tensor method, list and string method, module and optimizer method,
/// operator and format directive, taken from the shell's own tables (so a new op is fuzzed
/// the day it is registered), with 0-d, empty, huge and negative sizes, 2**62 and 2**63-1,
/// NaN, infinities and -0.0, None, wrong types, a list that contains itself, a view of
/// 10**12 elements and long strings.
///
/// A program is a fixed prelude that names those values, then statements chosen by a
/// source of choices: the fuzzer's bytes or a seeded generator in the tests.
package enum AdversarialProgram {
    /// Defines the values the statements refer to by name.
    package static let prelude = """
        selfref = [1, 2]
        selfref.append(selfref)
        t0 = tensor(3.0)
        te = zeros(0)
        te2 = zeros(0, 3)
        tbig = ones(1).expand(10**12)
        tlong = tensor([-9223372036854775807 - 1, 9223372036854775807, 0, -1])
        tgrad = randn(2, 3, requires_grad=True)
        tnan = tensor([float('nan'), float('inf'), -float('inf'), -0.0])
        tm = randn(3, 3)
        tbool = tensor([True, False, True])
        tint = tensor([[1, 2], [3, 4]])
        y = (tgrad * 2).sum()
        model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
        opt = optim.SGD(model.parameters(), lr=0.1)
        s = 'abc'
        l = [1, 2.5, 'x', None]
        def f(a, b=2) < return a * b >
        """

    static let tensors = ["t0", "te", "te2", "tbig", "tlong", "tgrad", "tnan", "tm", "tbool", "tint", "y", "tgrad.T", "tm[1:]", "tgrad.grad"]

    /// Arguments of every kind and size, as source text.
    static let arguments = tensors + [
        "0", "1", "-1", "2", "3", "-3", "2**31", "2**62", "9223372036854775807", "-9223372036854775807 - 1", "10**12", "-10**12", "10**18",
        "1e308", "-1e308", "5e-324", "1e19", "float('nan')", "float('inf')", "-float('inf')", "-0.0", "0.5", "2.5",
        "None", "True", "False", "''", "'abc'", "'x' * 100000", "'%d'", "'{}'", "'\\u00e9\\u4e2d'",
        "[]", "[1, 2, 3]", "[[1, 2], [3]]", "[[[[]]]]", "[float('nan')]", "[9223372036854775807, 0]", "()", "(2**62, 2**62)",
        "(0,)", "(-1, 3)", "(3, -1)", "(2**31, 2**31, 2**31)", "(1,) * 64", "selfref", "l", "s", "model", "opt", "f",
        "torch.float32", "torch.long", "torch.bool", "range(3)", "range(10**18)", "ones(2, 3)", "zeros(3, 0)",
        "tensor(float('nan'))", "tensor([-9223372036854775807 - 1])", "arange(4).reshape(2, 2)", "randn(2, 3, requires_grad=True)",
        "len", "print", "nn.Linear(3, 2)", "model.parameters()",
    ]

    static let binaryOperators = ["+", "-", "*", "/", "//", "%", "**", "@", "==", "!=", "<", "<=", ">", ">=",
                                  "and", "or", "&", "|", "^", "<<", ">>", "in", "not in", "is", "is not"]
    static let unaryOperators = ["-", "+", "not ", "~"]
    static let formats = ["'%d'", "'%i'", "'%s'", "'%r'", "'%f'", "'%.3f'", "'%e'", "'%g'", "'%x'", "'%o'", "'%c'",
                          "'%%'", "'%5d'", "'%-5s'", "'%+d'", "'%*d'", "'%(x)s'", "'%10.4e'", "'%.0f'", "'%.100f'",
                          "'%99999d'", "'%.99999f'", "'%d %d'", "'%'", "'%q'", "'%s %s %s'"]
    static let attributes = ["requires_grad", "grad", "data", "shape", "dtype", "grad_fn", "is_leaf", "T", "_version", "mT"]
    static let modes = ["no_grad", "enable_grad", "inference"]

    /// Everything callable as `NAME(...)`, and the methods by receiver.
    static let functions = Completion.builtinNames
    static let tensorMethods = Completion.tensorMethodNames
    static let listMethods = Completion.members(of: .list(ListStorage([])))
    static let stringMethods = Completion.members(of: .str(""))
    static let moduleMethods = ModuleRegistry.moduleMethods.map(\.name)
    static let optimizerMethods = ModuleRegistry.optimizerMethods.map(\.name)

    /// One statement; `choose(n)` returns a number in `0..<n`.
    package static func statement(_ choose: (Int) -> Int) -> String {
        func pick(_ xs: [String]) -> String { xs[choose(xs.count)] }
        func argument() -> String {
            // Now and then an expression of expressions, so results of calls become arguments.
            choose(8) == 0 ? "\(pick(arguments)) \(pick(binaryOperators)) \(pick(arguments))" : pick(arguments)
        }
        func call(_ name: String) -> String {
            var parts = (0..<choose(4)).map { _ in argument() }
            if choose(3) == 0, let keywords = Completion.keywordNames(of: name), !keywords.isEmpty {
                parts.append("\(pick(keywords))=\(argument())")
            }
            return "\(name)(\(parts.joined(separator: ", ")))"
        }
        func expression() -> String {
            switch choose(10) {
            case 0, 1: return call(pick(functions))
            case 2: return call("torch." + pick(functions))
            case 3, 4: return "\(pick(tensors)).\(call(pick(tensorMethods)))"
            case 5:
                switch choose(4) {
                case 0: return "\(pick(["l", "selfref", "[1, 2]"])).\(call(pick(listMethods)))"
                case 1: return "\(pick(["s", "'a,b'", "''"])).\(call(pick(stringMethods)))"
                case 2: return "model.\(call(pick(moduleMethods)))"
                default: return "opt.\(call(pick(optimizerMethods)))"
                }
            case 6: return "\(argument()) \(pick(binaryOperators)) \(argument())"
            case 7: return "\(pick(formats)) % \(choose(2) == 0 ? argument() : "(\(argument()), \(argument()))")"
            case 8:
                switch choose(4) {
                case 0: return "\(pick(arguments))[\(argument())]"
                case 1: return "\(pick(arguments))[\(argument()):\(argument()):\(argument())]"
                case 2: return "\(pick(unaryOperators))\(argument())"
                default: return "\(pick(arguments)).\(pick(attributes))"
                }
            default: return pick(arguments)
            }
        }
        func simple() -> String {
            switch choose(8) {
            case 0: return "\(pick(arguments))[\(argument())] = \(argument())"
            case 1: return "\(pick(tensors)).\(pick(attributes)) = \(argument())"
            case 2: return "r \(pick(["+=", "-=", "*=", "/=", "//=", "%=", "**=", "@="])) \(argument())"
            case 3: return "r, q = \(argument())"
            case 4: return "\(pick(tensors)).backward(\(choose(2) == 0 ? "" : argument()))"
            default: return "r = \(expression())"
            }
        }
        switch choose(16) {
        case 0: return "\(pick(modes)) < \(simple()) >"
        case 1: return "for i in \(argument()) < \(simple()) >"
        case 2: return "print(\(expression()))"
        case 3: return "repr(\(expression()))"
        case 4, 5, 6: return python(choose, simple: simple, argument: argument, expression: expression)
        default: return simple()
        }
    }

    static let pythonModes = ["torch.no_grad()", "torch.enable_grad()", "torch.inference_mode()", "torch.inference_mode(False)",
                              "torch.set_grad_enabled(False)", "torch.no_grad(), torch.enable_grad()"]
    static let indents = ["    ", "  ", "\t", "        ", "", " \t"]

    /// A statement in Python's spelling (blocks by indentation, with, try, classes,
    /// comprehensions, lambdas, f-strings), now and then indented wrongly.
    static func python(_ choose: (Int) -> Int, simple: () -> String, argument: () -> String, expression: () -> String) -> String {
        func pick(_ xs: [String]) -> String { xs[choose(xs.count)] }
        // Mostly four spaces; sometimes an indentation that does not match.
        func indent() -> String { choose(6) == 0 ? pick(indents) : "    " }
        switch choose(12) {
        case 0: return "with \(pick(pythonModes)):\n\(indent())\(simple())\n\(indent())\(simple())"
        case 1: return "for i in \(argument()):\n\(indent())\(simple())\n\(indent())if \(argument()):\n\(indent())\(indent())\(pick(["break", "continue", "pass"]))"
        case 2: return "if \(argument()):\n\(indent())\(simple())\nelif \(argument()):\n\(indent())\(simple())\nelse:\n\(indent())\(simple())"
        case 3: return "try:\n\(indent())\(simple())\nexcept \(pick(["Exception", "(ValueError, TypeError)", "RuntimeError", "3", "LookupError"])) as e:\n\(indent())r = str(e)\nfinally:\n\(indent())q = 1"
        case 4: return "k = 0\nwhile \(argument()):\n\(indent())\(simple())\n\(indent())k += 1\n\(indent())if k > 3: break"
        case 5: return "r = f\"{\(argument())!r:>8} {\(argument()):\(pick([".3f", ">5", "x", ",", "=^9", ".2%", ""]))} {\(argument())=}\""
        case 6: return "r = [\(pick(["x", "x * 2", "str(x)", "(x, x)"])) for x in \(argument()) if \(pick(["x", "True", "not x"]))]"
        case 7: return "r = {\(pick(["x", "str(x)", "0"])): x for x in \(argument())}\nr2 = r[\(argument())]"
        case 8: return "r = (lambda a, *rest, **kw: (a, rest, kw))(\(argument()), \(argument()), k=\(argument()))"
        case 9:
            return "class K\(choose(3))(nn.Module):\n\(indent())def __init__(self):\n\(indent())\(indent())super().__init__()\n"
                + "\(indent())\(indent())self.p = nn.Parameter(\(argument()))\n\(indent())def forward(self, x):\n\(indent())\(indent())return x * self.p\n"
                + "r = K0()(\(argument())) if \(argument()) else None"
        case 10:
            return "class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x * \(argument())\n"
                + "    @staticmethod\n    def backward(ctx, g):\n        return \(argument())\nF.apply(\(argument())).sum().backward()"
        default:
            return "def g(a, *args, **kw):\n\(indent())\(pick(["global r", "nonlocal a", "assert a, 'no'", "del a", "raise ValueError(a)", "return args"]))\n\(indent())return kw\ng(*\(argument()), **{'k': \(argument())})"
        }
    }

    /// A program of `count` statements after the prelude, one per line.
    package static func program(statements count: Int, _ choose: (Int) -> Int) -> String {
        prelude + "\nr = 1\n" + (0..<count).map { _ in statement(choose) }.joined(separator: "\n") + "\n"
    }
}
