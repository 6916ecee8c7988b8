import GradCore
import XCTest
@testable import GradLang

/// The interpreter, driven through a Session exactly as scripts and the terminal drive it.
final class InterpreterTests: XCTestCase {
    override func setUp() { GradModeState.reset() }

    /// Runs `source` and returns the events, rendered compactly.
    private func run(_ source: String, _ session: Session = Session()) -> [String] {
        var out: [String] = []
        session.run(source: source) { event in
            switch event {
            case .result(let line, let target, let value): out.append("\(line) \(target ?? "_") = \(Repr.shown(value))")
            case .printed(let line, let text): out.append("\(line) print \(text)")
            case .error(let line, let e): out.append("\(line) \(e.type): \(e.message)")
            case .command(let line, let text): out.append("\(line) command \(text)")
            case .warning(let line, let text): out.append("\(line) warning \(text.prefix(40))")
            }
        }
        return out
    }

    /// The events without their line numbers, for a session fed several times.
    private func bare(_ source: String, _ session: Session) -> [String] {
        run(source, session).map { String($0.drop { $0 != " " }.dropFirst()) }
    }

    private func value(_ source: String) -> String {
        run(source).last ?? ""
    }

    /// A line that ends in `;` runs quietly, as in IPython: every statement on it, in a
    /// block or a Python suite too; a `;` between statements or before a comment that ends
    /// the line is no trailing `;` for the first, and prints still print.
    func testTrailingSemicolonHidesTheLinesResults() {
        let source = """
        a = 1;
        b = 2; c = 3;
        d = 4; e = 5
        f = [1,
             2];
        no_grad < g = ones(1); >
        no_grad < h = 7 >;
        with torch.no_grad(): i = 8;
        j = 9;  # quiet
        print(10);
        a + b
        """
        XCTAssertEqual(run(source), ["3 d = 4", "3 e = 5", "10 print 10", "11 _ = 3"])
        XCTAssertEqual(run("k = 1; l = 2 ;\nk"), ["2 _ = 1"])
    }

    /// With nobody to answer, an exercise checks that its asserts fail, runs its solution
    /// (shown like a block's statements) and checks that they pass; an exercise whose
    /// checks pass already, or whose solution fails them, is an error.
    func testExercisesRunTheirSolutionWhenNobodyAnswers() {
        let source = """
        x = tensor([1.0, 2.0])
        exercise "make z" <
            assert z == 3, "z should be 3"
            hint "z = 3"
            solution < z = 3 >
        >
        exercise "already done" <
            assert x is not None, "x exists"
            solution < pass >
        >
        exercise "wrong" <
            assert w == 2, "w should be 2"
            solution < w = 5 >
        >
        """
        XCTAssertEqual(run(source).dropFirst(), [
            "2 print exercise: make z", "5 z = 3", "2 print solved: its check passes",
            "7 print exercise: already done", "7 ExerciseError: the checks of this exercise pass before its solution runs, so they check nothing",
            "11 print exercise: wrong", "13 w = 5", "11 AssertionError: the solution does not pass its own check: w should be 2",
        ])
    }

    /// What is still wrong: each failing check's message, an error in a check counted as a
    /// failure, and checking leaves nothing behind.
    func testFailedChecksSayWhatIsStillWrong() throws {
        let session = Session()
        _ = run("x = tensor([1.0, 2.0], requires_grad=True)", session)
        guard case .program(let program) = Parser.parse("exercise \"t\" <\n assert y.grad_fn is None, \"y has a graph\"\n assert allclose(y, x * 2), \"y should be x * 2\"\n solution < no_grad < y = x * 2 > >\n>"),
              case .exercise(let exercise) = program[0].kind else { return XCTFail("not an exercise") }
        XCTAssertEqual(session.interpreter.failedChecks(exercise), ["NameError: name 'y' is not defined", "NameError: name 'y' is not defined"])
        _ = run("y = x * 3", session)
        XCTAssertEqual(session.interpreter.failedChecks(exercise), ["y has a graph", "y should be x * 2"])
        _ = run("no_grad < y = x * 2 >", session)
        XCTAssertEqual(session.interpreter.failedChecks(exercise), [])
    }

    /// Reading .grad of a non-leaf warns as PyTorch does, once per statement; a leaf or a
    /// tensor that retains its grad does not.
    func testNonLeafGradWarning() {
        let events = run("x = ones(2, requires_grad=True)\ny = x * 2\nprint(y.grad, y.grad)\nx.grad\ny.retain_grad()\ny.grad")
        XCTAssertEqual(events.filter { $0.contains("warning") }, ["3 warning UserWarning: The .grad attribute of a Te"])
    }

    /// A rejected chunk takes its parts with it: the indented body under a rejected
    /// `with torch.no_grad():` does not run with grad on, and the def under a rejected
    /// decorator is not defined.
    func testRejectedChunksTakeTheirBodies() {
        let source = """
        x = ones(2, requires_grad=True)
        with torch.no_grad():
            y = x * 2 +* 1

            q = 1
        y
        @torch.inference_mode(bogus=True)
        def g(t) <
            return t
        >
        g
        z = 5
        """
        let events = run(source)
        XCTAssertEqual(events.filter { !$0.hasPrefix("1 ") }.map { String($0.prefix(24)) },
                       ["3 SyntaxError: invalid s", "6 NameError: name 'y' is", "7 SyntaxError: unknown d",
                        "11 NameError: name 'g' i", "12 z = 5"])
        // At a prompt an empty line ends a Python block, as in the Python REPL; after a
        // rejected one it ends the lines skipped with it.
        let session = Session()
        session.emptyLineEndsIndentedBlock = true
        var out: [String] = []
        for line in ["for i in range(2):", "    print(i)", "", "for j in range(2):", "    print(j +* 1)", "    print(j)", "", "print(7)"] {
            session.feed(line) { event in
                if case .printed(_, let text) = event { out.append(text) }
                if case .error(_, let e) = event { out.append(e.type) }
            }
        }
        XCTAssertEqual(out, ["0", "1", "SyntaxError", "7"])
    }

    /// Python's statements run as Python runs them: loops with break, continue and else,
    /// while, with over one or several modes (restored after an error inside), imports.
    func testPythonStatements() {
        let loops = """
        def f(n):
            total = 0
            for i in range(n):
                for j in range(3):
                    if j == 1:
                        break
                if i == 1:
                    continue
                elif i > 3:
                    break
                total += i
            else:
                total = -1
            return total
        print(f(3), f(10))
        k = 0
        while True:
            k += 1
            if k >= 4:
                break
        else:
            k = 100
        print(k)
        """
        XCTAssertEqual(run(loops).filter { $0.contains("print") }, ["15 print -1 5", "23 print 4"],
                       "a print reports the line of its top-level statement")

        let modes = """
        x = ones(1, requires_grad=True)
        with torch.no_grad(), torch.enable_grad():
            a = x * 2
        with torch.inference_mode():
            b = x * 2
            b.undefined
        print(a.requires_grad, b.is_inference(), is_grad_enabled(), is_inference_mode_enabled())
        mode = torch.no_grad()
        with mode:
            c = x * 2
        with 3:
            pass
        print(c.requires_grad)
        """
        let events = run(modes)
        XCTAssertEqual(events.filter { $0.contains("print") || $0.contains("Error") }.map { String($0.prefix(60)) },
                       ["6 AttributeError: 'Tensor' object has no attribute 'undefine",
                        "7 print True True True False",
                        "11 TypeError: 'int' object does not support the context mana",
                        "13 print False"])

        let imports = """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import optim, no_grad
        from torch.utils.data import DataLoader, TensorDataset as TD
        import math
        print(nn.Linear(2, 1).weight.shape, F.relu(torch.tensor(-1.0)), optim.SGD, math.pi > 3, TD)
        from torch import nn, missing_name
        import numpy as np
        import torch.vision
        """
        XCTAssertEqual(run(imports).map { String($0.prefix(70)) }, [
            "7 print (1, 2) tensor(0.) <built-in function SGD> True <built-in funct",
            "8 ImportError: cannot import name 'missing_name' from 'torch'",
            "9 ModuleNotFoundError: No module named 'numpy'",
            "10 ModuleNotFoundError: No module named 'torch.vision'",
        ])
        XCTAssertEqual(value("from torch import nn as a, missing_name\na"), "2 NameError: name 'a' is not defined",
                       "a failed import binds nothing")
    }

    /// Dicts, comprehensions and lambdas as in Python 3 (expected values are what CPython
    /// prints for the same code).
    func testDictsComprehensionsAndLambdas() {
        let script = """
        d = {"a": 1, "b": [2, 3], 1: "one"}
        print(d, len(d), d["a"], d[1.0], d[True], "a" in d, "z" in d)
        d["c"] = {"x": None}
        print(d.get("zz", 5), d.pop("a"), list(d.keys()), d)
        del d[1]
        print(d, d == {"b": [2, 3], "c": {"x": None}}, dict(a=1, b=2), dict([("k", 1)]), {})
        sq = [x * x for x in range(6) if x % 2 == 0]
        pairs = [(i, j) for i in range(3) for j in range(i)]
        names = {k: v for k, v in [("w", 1), ("b", 2)]}
        print(sq, pairs, names, sum(x for x in range(4)), max(len(s) for s in ["a", "abc"]))
        f = lambda a, b=2: a * b
        print(f(3), f(3, b=4), (lambda: "none")())
        for k, v in {"p": 1, "q": 2}.items():
            print(k, v)
        g = {}
        g.setdefault("k", []).append(1)
        g.update({"m": 2}, n=3)
        print(g, sorted([3, 1, 2]))
        """
        XCTAssertEqual(run(script).filter { $0.contains(" print ") }.map { String($0.drop { $0 != " " }.dropFirst(7)) }, [
            "{'a': 1, 'b': [2, 3], 1: 'one'} 3 1 one one True False",
            "5 1 ['b', 1, 'c'] {'b': [2, 3], 1: 'one', 'c': {'x': None}}",
            "{'b': [2, 3], 'c': {'x': None}} True {'a': 1, 'b': 2} {'k': 1} {}",
            "[0, 4, 16] [(1, 0), (2, 0), (2, 1)] {'w': 1, 'b': 2} 6 3",
            "6 12 none",
            "p 1", "q 2",
            "{'k': [1], 'm': 2, 'n': 3} [1, 2, 3]",
        ])
        XCTAssertEqual(value("d = {}\nd[[1]] = 2"), "2 TypeError: unhashable type: 'list'")
        XCTAssertEqual(value("{'a': 1}['b']"), "1 KeyError: 'b'")
        XCTAssertEqual(value("[i for i in range(3)]\ni"), "2 NameError: name 'i' is not defined", "a comprehension's variable stays inside it")
        XCTAssertEqual(value("d = {'a': [1]}\nd['a'].append(2) or d"), "2 _ = {'a': [1, 2]}")
        // A failed statement leaves a dict as it was.
        XCTAssertEqual(value("d = {'a': 1}\nd['b'] = 1 / 0\nd"), "3 _ = {'a': 1}")
    }

    /// try/except/else/finally, raise, assert, del, global and nonlocal as in Python;
    /// Ctrl-C and --timeout are never caught.
    func testExceptionsAndScopes() {
        let script = """
        def safe_div(a, b):
            try:
                return a / b
            except ZeroDivisionError as e:
                print("caught:", e, repr(e))
                return None
            finally:
                print("finally")
        print(safe_div(1, 0), safe_div(4, 2))
        try:
            ones(2) @ ones(3)
        except (KeyError, RuntimeError) as err:
            print(type(err), "inconsistent" in str(err))
        try:
            [1][5]
        except LookupError:
            print("lookup")
        else:
            print("no error")
        try:
            raise ValueError("custom")
        except Exception as e:
            print(e)
        count = 0
        def bump():
            global count
            count += 1
        bump(); bump()
        def outer():
            n = 0
            def inner():
                nonlocal n
                n += 10
            inner()
            return n
        print(count, outer())
        for i in range(3):
            try:
                if i == 1:
                    continue
                print("body", i)
            finally:
                print("finally", i)
        """
        XCTAssertEqual(run(script).filter { $0.contains(" print ") }.map { String($0.drop { $0 != " " }.dropFirst(7)) }, [
            "caught: division by zero ZeroDivisionError('division by zero')", "finally", "finally", "None 2.0",
            "<class 'RuntimeError'> True", "lookup", "custom", "2 10",
            "body 0", "finally 0", "finally 1", "body 2", "finally 2",
        ])
        XCTAssertEqual(value("assert 1 == 2, 'one is not two'"), "1 AssertionError: one is not two")
        XCTAssertEqual(value("try:\n    1 / 0\nexcept ValueError:\n    pass"), "1 ZeroDivisionError: division by zero", "no handler matches")
        XCTAssertEqual(value("raise"), "1 RuntimeError: No active exception to reraise")
        XCTAssertEqual(value("try:\n    x = 1\nexcept 3:\n    pass\nx"), "5 _ = 1", "the except classes are only looked at when an error comes")
        XCTAssertEqual(value("x = 1\ndel x\nx"), "3 NameError: name 'x' is not defined")
        XCTAssertEqual(value("def f():\n    nonlocal q\nf()"), "3 SyntaxError: no binding for nonlocal 'q' found", "checked when the function runs")
    }

    /// Classes as in Python: plain ones (class attributes, inheritance, super(), static
    /// methods), nn.Module subclasses (registration, forward through model(x) and inside
    /// Sequential, PyTorch's errors), torch.autograd.Function subclasses.
    func testClasses() {
        let script = """
        class A:
            kind = "a"
            def __init__(self, n):
                self.n = n
            def twice(self):
                return self.n * 2
            @staticmethod
            def make():
                return A(7)
        class B(A):
            def twice(self):
                return super().twice() + 1
        b = B(3)
        print(b.twice(), b.kind, A.make().n, isinstance(b, A), isinstance(A(1), B), A.__name__)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 1)
                self.act = nn.ReLU()
            def forward(self, x):
                return self.act(self.fc(x))
        seq = nn.Sequential(Net(), nn.Sigmoid())
        print(seq(ones(1, 2)).shape, len(list(seq.parameters())), [n for n, p in seq.named_parameters()])
        print(Net())
        """
        XCTAssertEqual(run(script).filter { $0.contains(" print ") }.map { String($0.drop { $0 != " " }.dropFirst(7)) }, [
            "7 a 7 True False A",
            "(1, 1) 2 ['0.fc.weight', '0.fc.bias']",
            "Net(\n  (fc): Linear(in_features=2, out_features=1, bias=True)\n  (act): ReLU()\n)",
        ])
        XCTAssertEqual(value("class C:\n    pass\nC(1)"), "3 TypeError: C() takes no arguments")
        XCTAssertEqual(value("class C:\n    def __init__(self):\n        return 1\nC()"), "4 TypeError: __init__() should return None, not 'int'")
        XCTAssertEqual(value("class C:\n    pass\nC().missing"), "3 AttributeError: 'C' object has no attribute 'missing'")
        XCTAssertEqual(value("class M(nn.Module):\n    pass\nM()(ones(1))"), "3 NotImplementedError: Module [M] is missing the required \"forward\" function")
        XCTAssertEqual(value("class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.w = nn.Parameter(ones(1))\nm = M()\nm.w = ones(1)"),
                       "6 TypeError: cannot assign 'torch.FloatTensor' as parameter 'w' (torch.nn.Parameter or None expected)")
        XCTAssertEqual(value("class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.w = nn.Parameter(ones(1))\nm = M()\nm.w = None\n(m.w, len(list(m.parameters())))"),
                       "7 _ = (None, 0)", "assigning None unregisters a parameter, and the attribute reads None")
        XCTAssertEqual(value("class C:\n    pass\nclass D(3):\n    pass"), "3 TypeError: gradsh classes derive from other classes, nn.Module or torch.autograd.Function, not int")
        // A failed statement undoes attribute changes on objects and module registrations.
        XCTAssertEqual(value("class C:\n    pass\nc = C()\nc.x = 1\ndef f():\n    c.x = 2\n    c.y = 3\n    1 / 0\nf()\nc.x"), "10 _ = 1")
        XCTAssertEqual(value("class C:\n    pass\nc = C()\ndef f():\n    c.y = 3\n    1 / 0\nf()\nc.y"), "8 AttributeError: 'C' object has no attribute 'y'")
        XCTAssertEqual(value("class M(nn.Module):\n    pass\nm = M()\ndef f():\n    m.fc = nn.Linear(1, 1)\n    1 / 0\nf()\nlen(list(m.parameters()))"), "8 _ = 0")

        let custom = """
        class Twice(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2
            @staticmethod
            def backward(ctx, g):
                return g * 2, g
        x = ones(2, requires_grad=True)
        y = Twice.apply(x)
        y.sum().backward()
        """
        XCTAssertEqual(run(custom).last.map { String($0.prefix(90)) }, "10 RuntimeError: function TwiceBackward returned an incorrect number of gradients (expecte")
        XCTAssertEqual(value("class T(torch.autograd.Function):\n    pass\nT()"), "3 RuntimeError: T is a torch.autograd.Function: call it as T.apply(...)")
    }

    /// __len__, __getitem__ (iteration through it, as Python's old protocol), __setitem__,
    /// __repr__ and __str__ are called as Python calls them.
    func testSpecialMethods() {
        let script = """
        class Squares:
            def __init__(self, n):
                self.n = n
                self.set = {}
            def __len__(self):
                return self.n
            def __getitem__(self, i):
                if i >= self.n:
                    raise IndexError("out of range")
                return i * i
            def __setitem__(self, k, v):
                self.set[k] = v
            def __repr__(self):
                return f"Squares({self.n})"
        s = Squares(4)
        s["a"] = 1
        print(len(s), s[3], list(s), [x for x in s], s, str(s), repr([s]), s.set)
        class P:
            def __str__(self):
                return "P!"
        print(P(), f"{P()}")
        """
        XCTAssertEqual(run(script).filter { $0.contains(" print ") }.map { String($0.drop { $0 != " " }.dropFirst(7)) }, [
            "4 9 [0, 1, 4, 9] [0, 1, 4, 9] Squares(4) Squares(4) [Squares(4)] {'a': 1}",
            "P! P!",
        ])
        // A Dataset subclass feeds a DataLoader, batches collated as PyTorch's default_collate does.
        let data = """
        from torch.utils.data import Dataset, DataLoader
        class Pairs(Dataset):
            def __init__(self, n):
                self.x = torch.arange(n * 2).reshape(n, 2).float()
                self.y = torch.arange(n)
            def __len__(self):
                return len(self.y)
            def __getitem__(self, i):
                return self.x[i], self.y[i]
        loader = DataLoader(Pairs(5), batch_size=2)
        print(len(loader), [(xb.shape, yb.tolist()) for xb, yb in loader])
        class Nums(Dataset):
            def __len__(self):
                return 3
            def __getitem__(self, i):
                return {"v": i, "name": "n%d" % i}
        print([b for b in DataLoader(Nums(), batch_size=3)])
        """
        XCTAssertEqual(run(data).filter { $0.contains(" print ") }.map { String($0.drop { $0 != " " }.dropFirst(7)) }, [
            "3 [((2, 2), [0, 1]), ((2, 2), [2, 3]), ((1, 2), [4])]",
            "[{'v': tensor([0, 1, 2]), 'name': ['n0', 'n1', 'n2']}]",
        ])
        // A dataset may claim any length: batches are fetched as they go, and a batch or a
        // shuffled order too large for memory is a MemoryError.
        let huge = "from torch.utils.data import Dataset, DataLoader\nclass Big(Dataset):\n    def __len__(self):\n        return 10**12\n    def __getitem__(self, i):\n        return i\n"
        XCTAssertEqual(value(huge + "for b in DataLoader(Big(), batch_size=2):\n    break\n(b, len(DataLoader(Big(), batch_size=3)))"),
                       "9 _ = (tensor([0, 1]), 333333333334)")
        let shuffled = value(huge + "for b in DataLoader(Big(), shuffle=True):\n    pass")
        XCTAssertTrue(shuffled.hasPrefix("7 MemoryError: a tensor of 1000000000000 int64 elements"), shuffled)
        XCTAssertEqual(value("class C:\n    pass\nlen(C())"), "3 TypeError: object of type 'C' has no len()")
        XCTAssertEqual(value("class C:\n    def __repr__(self):\n        return 1\nrepr(C())"), "4 TypeError: __repr__ returned non-string (type int)")
    }

    /// Starred unpacking and arguments, `f"{x=}"`, `__name__`, devices (the CPU only),
    /// and a range as an index, as tutorials use them.
    func testMoreEverydayPython() {
        let script = """
        a, *rest = [1, 2, 3, 4]
        first, *mid, end = "abcd"
        def f(x, *args, **kwargs):
            return x, args, kwargs
        nums = [1, 2]
        print(a, rest, first, mid, end, f(1, 2, 3, k=4), f(*nums, **{"k": 5}), [*nums, *range(2)])
        x = 3
        print(f"{x=} {x = :>4} {x*2=!s}", __name__)
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        t = torch.tensor([[1., 2.], [3., 4.]]).to(device)
        print(device, torch.backends.mps.is_available(), t.cpu().equal(t), nn.Linear(1, 1).to(device).in_features)
        print(t[range(2), torch.tensor([1, 0])])
        """
        XCTAssertEqual(run(script).filter { $0.contains(" print ") }.map { String($0.drop { $0 != " " }.dropFirst(7)) }, [
            "1 [2, 3, 4] a ['b', 'c'] d (1, (2, 3), {'k': 4}) (1, (2,), {'k': 5}) [1, 2, 0, 1]",
            "x=3 x =    3 x*2=6 __main__",
            "cpu False True 1",
            "tensor([2., 3.])",
        ])
        XCTAssertEqual(value("d = {'a': 3, 'b': 9}\n(sorted([(1, 'b'), (0, 'c'), (1, 'a')], key=lambda p: p[0]), sorted([3, 1], reverse=True), max(d, key=d.get), min(['bb', 'a'], key=len), max([], default=7))"),
                       "2 _ = ([(0, 'c'), (1, 'b'), (1, 'a')], [3, 1], 'b', 'a', 7)", "key= sorts stably, as Python does")
        XCTAssertEqual(value("a, *b, c = [1]"), "1 ValueError: not enough values to unpack (expected at least 2, got 1)")
        XCTAssertEqual(value("*a, *b = [1, 2]"), "1 SyntaxError: multiple starred expressions in assignment")
        XCTAssertEqual(value("ones(1).to('cuda')"), "1 AssertionError: Torch not compiled with CUDA enabled")
        XCTAssertEqual(value("def f(**kw):\n    return kw\nf(**{1: 2})"), "3 TypeError: keywords must be strings")
    }

    /// f-strings, format() and str.format follow Python's format-spec mini-language; the
    /// expected strings are what CPython 3.11 prints for the same calls.
    func testFormatting() {
        let cases: [(String, String, String)] = [
            ("1.0", ".3", "1.0"), ("100.0", ".2", "1e+02"), ("1234.5", ".2", "1.2e+03"), ("0.5", "", "0.5"),
            ("3", ".2f", "3.00"), ("True", ">5", "    1"), ("1e20", ".3", "1e+20"), ("12345.678", ",.2f", "12,345.68"),
            ("255", "#x", "0xff"), ("-3.5", "=+8.2f", "-   3.50"), ("-0.0", ".1f", "-0.0"), ("1e16", "", "1e+16"),
            ("42", "^7", "  42   "), ("'ab'", "*^6", "**ab**"), ("0.000012345", "g", "1.2345e-05"), ("float('inf')", "f", "inf"),
            ("5", "%", "500.000000%"), ("12", "05d", "00012"), ("-12", "05d", "-0012"), ("1234567", "_d", "1_234_567"),
            ("255", "_b", "1111_1111"), ("0.25", ".1%", "25.0%"), ("3.14159", "10.3e", " 3.142e+00"), ("-7", "+d", "-7"),
            ("7", " d", " 7"), ("'abc'", ".2", "ab"), ("'x'", ">3", "  x"), ("2.5", "08.3f", "0002.500"), ("1e-7", "", "1e-07"),
            ("123456789.0", ",", "123,456,789.0"), ("65", "c", "A"), ("10", "o", "12"), ("10", "#b", "0b1010"),
            ("1.5", "G", "1.5"), ("float('nan')", ".2f", "nan"), ("-1.0", "e", "-1.000000e+00"),
            ("tensor(2.5)", ".2f", "2.50"), ("tensor(7)", ">3", "  7"),
        ]
        for (v, spec, expected) in cases {
            XCTAssertEqual(value("format(\(v), '\(spec)')"), "1 _ = '\(expected)'", "format(\(v), '\(spec)')")
        }
        XCTAssertEqual(value("loss = 0.25\nf'loss: {loss:>7f}  [{3:>5d}/{60000:>5d}] {loss!r} {{x}}'"),
                       "2 _ = 'loss: 0.250000  [    3/60000] 0.25 {x}'")
        XCTAssertEqual(value("'{} {:.1f} {n!r:>4}'.format(1, 2.25, n='a')"), "1 _ = \"1 2.2  'a'\"")
        XCTAssertEqual(value("format(None, '>3')"), "1 TypeError: unsupported format string passed to NoneType.__format__")
        XCTAssertEqual(value("format(ones(2), '.1f')"), "1 TypeError: unsupported format string passed to Tensor.__format__")
        XCTAssertEqual(value("format(3, 'q')"), "1 ValueError: Unknown format code 'q' for object of type 'int'")
        XCTAssertEqual(value("format(3, '.2d')"), "1 ValueError: Precision not allowed in integer format specifier")
        XCTAssertEqual(value("f'{1:99999}'"), "1 MemoryError: the width in '99999' is larger than gradsh allows (10000)")
        XCTAssertEqual(value("'{}{0}'.format(1)"), "1 ValueError: cannot switch from automatic field numbering to manual field specification")
    }

    /// In a file a Python block ends at the first line indented no more than its statement
    /// (which then runs before that line is read); at a prompt an empty line ends it.
    func testPythonBlocksRunWhenTheyEnd() {
        let session = Session()
        var order: [String] = []
        let emit: (SessionEvent) -> Void = { event in
            if case .printed(let line, let text) = event { order.append("\(line):\(text)") }
            if case .error(let line, let e) = event { order.append("\(line):\(e.type)") }
        }
        for line in ["for i in range(2):", "    print(i)", "", "    print('still in the loop')", "# a comment", "print('after')"] {
            session.feed(line, emit: emit)
            if line == "# a comment" { XCTAssertEqual(order, [], "nothing runs before the block is known to be over") }
        }
        XCTAssertEqual(order, ["1:0", "1:still in the loop", "1:1", "1:still in the loop", "6:after"])
        order = []
        session.feed("if False:", emit: emit)
        session.feed("    print('no')", emit: emit)
        session.feed("else:", emit: emit)
        session.feed("    print('yes')", emit: emit)
        XCTAssertEqual(order, [])
        session.finish(emit: emit)
        XCTAssertEqual(order, ["7:yes"], "the end of input ends the block")

        let prompt = Session()
        prompt.emptyLineEndsIndentedBlock = true
        order = []
        prompt.feed("def f(x):", emit: emit)
        XCTAssertEqual(prompt.innermostOpenBlock, "def f(...)")
        prompt.feed("    return x + 1", emit: emit)
        prompt.feed("", emit: emit)
        XCTAssertFalse(prompt.isGathering)
        prompt.feed("print(f(1))", emit: emit)
        XCTAssertEqual(order, ["4:2"])
    }

    func testPythonScalars() {
        XCTAssertEqual(run("7 // 2\n-7 // 2\n-7 % 3\n2 ** 10\n7 / 2\n2 ** -1\n1 < 2 < 3\n3 > 2 > 2"),
                       ["1 _ = 3", "2 _ = -4", "3 _ = 2", "4 _ = 1024", "5 _ = 3.5", "6 _ = 0.5", "7 _ = True", "8 _ = False"])
        XCTAssertEqual(value("round(2.567, 2)"), "1 _ = 2.57")
        XCTAssertEqual(value("round(2.5)"), "1 _ = 2")
        XCTAssertEqual(value("'a' + str(1) * 2"), "1 _ = 'a11'")
        XCTAssertEqual(value("[1, 2] + [3]"), "1 _ = [1, 2, 3]")
        XCTAssertEqual(value("x = [1, 2, 3]\nx[-1]"), "2 _ = 3")
        XCTAssertEqual(value("x = [1, 2, 3, 4]\nx[1:3]"), "2 _ = [2, 3]")
        XCTAssertEqual(value("x = []\nx.append(4)\nx"), "3 _ = [4]")
        XCTAssertEqual(value("9223372036854775807 + 1"), "1 OverflowError: integer result does not fit in 64 bits")
        XCTAssertEqual(value("a = 3 if 1 > 2 else 4"), "1 a = 4")
        XCTAssertEqual(value("'%s has %d' % ('x', 3)"), "1 _ = 'x has 3'")
        XCTAssertEqual(value("2 in [1, 2]"), "1 _ = True")
        XCTAssertEqual(value("sum([1, 2, 3])"), "1 _ = 6")
        XCTAssertEqual(value("max([3, 9, 2])"), "1 _ = 9")
        XCTAssertEqual(value("list(zip([1, 2], [3, 4]))"), "1 _ = [(1, 3), (2, 4)]")
        // Every %-directive Python has for numbers and characters; hex, octal and binary literals.
        XCTAssertEqual(value("'%x %o %X %#x %#o %5x|%-5x|%05x %+x %x %.4x %c %c %E %G' % (255, 8, 255, 255, 8, 255, 255, 255, 255, -255, 10, 65, 'z', 12345.678, 0.00001)"),
                       "1 _ = 'ff 10 FF 0xff 0o10    ff|ff   |000ff +ff -ff 000a A z 1.234568E+04 1E-05'")
        XCTAssertEqual(value("'%x' % 1.5"), "1 TypeError: %x format: an integer is required, not float")
        XCTAssertEqual(value("'%c' % -1"), "1 OverflowError: %c arg not in range(0x110000)")
        XCTAssertEqual(value("(0xff, 0o17, 0b1_01, 0XA)"), "1 _ = (255, 15, 5, 10)")
        XCTAssertEqual(value("0b102"), "1 SyntaxError: invalid binary literal")
        // Ordering: ints exactly (not as doubles), sequences item by item.
        XCTAssertEqual(value("2**62 + 1 > 2**62"), "1 _ = True")
        XCTAssertEqual(value("((1, 2) < (1, 3), [1, 2] <= [1], (1,) < (1, 0), [(1, 'b')] > [(1, 'a')])"), "1 _ = (True, False, True, True)")
        XCTAssertEqual(value("(1, 2) < [1, 2]"), "1 TypeError: '<' not supported between instances of 'tuple' and 'list'")
    }

    /// Lists and tuples nested far deeper than a thread's stack could recurse are freed
    /// iteratively: here 300,000 levels, freed on a thread with a 1 MiB stack.
    func testFreeingDeeplyNestedListsAndTuplesDoesNotRecurse() {
        for makeLevel in [{ (inner: Value) in Value.tuple([inner]) }, { Value.list(ListStorage([.int(1), $0])) },
                          { Value.tuple([.list(ListStorage([$0])), .str("x")]) }] {
            var nested = Value.none
            for _ in 0..<300_000 { nested = makeLevel(nested) }
            let box = ValueBox(nested)
            nested = .none
            let freed = expectation(description: "freed")
            let thread = Thread {
                box.value = nil
                freed.fulfill()
            }
            thread.stackSize = 1 << 20
            thread.start()
            wait(for: [freed], timeout: 60)
        }
    }

    /// tensor(data) with tensors inside the data, as PyTorch reads it (a one-element tensor
    /// where a number goes is that number), and never a trap on ragged mixes (fuzzer find).
    func testTensorsInsideTensorData() {
        XCTAssertEqual(value("tensor([1.0, tensor([2.0])])"), "1 _ = tensor([1., 2.])")
        XCTAssertEqual(value("tensor([1.0, tensor(2.0)])"), "1 _ = tensor([1., 2.])")
        XCTAssertEqual(value("tensor([1.0, tensor([2.0, 3.0])])"), "1 ValueError: only one element tensors can be converted to Python scalars")
        XCTAssertEqual(value("tensor([[1.0], tensor([2.0, 3.0])])"), "1 ValueError: expected sequence of length 1 at dim 1 (got 2)")
    }

    func testIdentityAndStringEscapes() {
        XCTAssertEqual(run("x = ones(1, requires_grad=True)\nx.grad is None\ny = x\ny is x\nx is ones(1)\nx.grad is not None").filter { !$0.contains(" = tensor") },
                       ["2 _ = True", "4 _ = True", "5 _ = False", "6 _ = False"])
        XCTAssertEqual(value("'A\\x42\\u00e9'"), "1 _ = 'ABé'")
        XCTAssertEqual(value("'\\x4'"), "1 SyntaxError: truncated \\x escape in a string")
    }

    func testFunctionsClosuresAndScope() {
        XCTAssertEqual(value("def f(a, k=2) < return a * k >\nf(5)"), "2 _ = 10")
        XCTAssertEqual(value("def outer(n) <\n  def inner(m) < return n + m >\n  return inner\n>\nadd3 = outer(3)\nadd3(4)"), "6 _ = 7")
        XCTAssertEqual(value("x = 1\ndef f() <\n  x = 2\n  return x\n>\nf()\nx"), "7 _ = 1", "assignments in a function are local")
        XCTAssertEqual(value("def fact(n) <\n  if n <= 1 < return 1 >\n  return n * fact(n - 1)\n>\nfact(10)"), "5 _ = 3628800")
        XCTAssertEqual(value("no_grad < q = 5 >\nq"), "2 _ = 5", "blocks make no scope")
        XCTAssertEqual(value("def f(a) < return a >\nf(1, 2)"), "2 TypeError: f() takes 1 positional argument but 2 were given")
        XCTAssertEqual(value("def f(a) < return a >\nf(b=1)"), "2 TypeError: f() got an unexpected keyword argument 'b'")
        XCTAssertEqual(value("def f() < return 1 >\nf.x"), "2 AttributeError: 'function' object has no attribute 'x'")
    }

    func testRecursionIsLimitedNotFatal() {
        var out: [String] = []
        LargeStack.run {
            out = self.run("def f(n) < return f(n + 1) >\nf(0)\n1 + 1")
        }
        XCTAssertEqual(out.count, 2)
        XCTAssertTrue(out[0].hasPrefix("2 RecursionError: maximum recursion depth exceeded"), out[0])
        XCTAssertEqual(out[1], "3 _ = 2")
    }

    func testAFailingStatementChangesNothing() {
        let s = Session()
        _ = run("a, b = 1, 2\nx = tensor([1.0])", s)
        XCTAssertEqual(bare("a, b = 3, missing\na", s).last, "_ = 1")
        XCTAssertEqual(bare("a, b = (5, 6, 7)\nb", s).last, "_ = 2")
        XCTAssertEqual(bare("a, x[0] = 9, 'text'\na", s).last, "_ = 1", "the index assignment failed: a is not bound")
        XCTAssertEqual(bare("x = x @ ones(3)\nx", s).last, "_ = tensor([1.])")
    }

    func testModesAreRestoredAfterErrors() {
        let s = Session()
        let out = run("no_grad <\n  inference <\n    enable_grad < y = missing >\n  >\n>\nis_grad_enabled()\nis_inference_mode_enabled()", s)
        XCTAssertEqual(out, ["3 NameError: name 'missing' is not defined", "6 _ = True", "7 _ = False"])
        XCTAssertEqual(bare("@no_grad\ndef f() < return 1 / 0 >\nf()\nis_grad_enabled()", s), ["ZeroDivisionError: division by zero", "_ = True"])
        XCTAssertEqual(bare("for i in range(3) < set_grad_enabled(False) >\nis_grad_enabled()", s).last, "_ = False", "a plain call persists")
        XCTAssertEqual(bare("set_grad_enabled(True)\nis_grad_enabled()", s).last, "_ = True")
    }

    func testDisplayRules() {
        let out = run("x = 1\nx\nprint(x, 'a', None, True, 2.5)\ndef f() <\n  y = 3\n  print('inside')\n>\nf()\nfor i in range(2) < z = i >\nNone\ny = None")
        XCTAssertEqual(out, ["1 x = 1", "2 _ = 1", "3 print 1 a None True 2.5", "8 print inside", "11 y = None"])
        XCTAssertEqual(run("x = tensor([1.0])\nx += 1\nx")[1], "2 x = tensor([2.])")
        XCTAssertEqual(run(":vars"), ["1 command :vars"])
    }

    func testNeuralNetsOptimizersAndData() {
        let s = Session()
        _ = run("manual_seed(1)\nlin = Linear(3, 2)", s)
        XCTAssertEqual(bare("lin.weight._version\nlin.bias.shape\nlen(lin.parameters())\nlin.training", s),
                       ["_ = 1", "_ = (2,)", "_ = 2", "_ = True"])
        XCTAssertEqual(bare("model = Sequential(lin, Dropout(0.5))\nm = model.eval()\nmodel[1].training\nm = model.train()\nlin.training", s).filter { $0.hasPrefix("_") },
                       ["_ = False", "_ = True"])
        XCTAssertEqual(bare("X = ones(4, 3)\nopt = SGD(lin.parameters(), lr=0.1, momentum=0.9)\nloss = lin(X).sum()\nloss.backward()\nopt.step()\nlin.weight._version\nopt.zero_grad()\nprint(lin.weight.grad)", s).suffix(2),
                       ["_ = 2", "print None"])
        XCTAssertEqual(bare("adam = Adam(lin.parameters(), lr=0.01)\nlin(X).sum().backward()\nadam.step()\nlin.bias._version", s).last, "_ = 3")
        XCTAssertEqual(bare("ds = TensorDataset(arange(10.0), arange(10))\nloader = DataLoader(ds, batch_size=4)\nlen(loader)\nfor xb, yb in loader < last = yb >\nlast", s).suffix(2),
                       ["_ = 3", "_ = tensor([8, 9])"])
        let first = bare("manual_seed(3)\nl = DataLoader(TensorDataset(arange(6)), batch_size=6, shuffle=True)\nfor (b,) in l < p = b >\np", s).last
        let second = bare("manual_seed(3)\nfor (b,) in l < p = b >\np", s).last
        XCTAssertEqual(first, second, "shuffling follows the seed")
        XCTAssertNotEqual(first, "_ = tensor([0, 1, 2, 3, 4, 5])")
        XCTAssertEqual(bare("X, y = make_blobs(30, 3, 2, seed=5)\nX.shape\ny.shape\ny.max()", s).suffix(3),
                       ["_ = (30, 2)", "_ = (30,)", "_ = tensor(2)"])
    }

    func testResetFreesWhatFunctionsKeptAlive() {
        let before = Storage.liveBytes
        let s = Session()
        _ = run("big = zeros(100000)\ndef keep() < return big >\ndef outer(n) <\n  def inner(m) < return n + m >\n  return inner\n>\nf = outer(1)", s)
        XCTAssertEqual(Storage.liveBytes - before, 400_000)
        s.interpreter.reset()
        XCTAssertEqual(Storage.liveBytes, before, "the cycles through function scopes are broken")
    }

    func testGradFnObjectsAndNamespaces() {
        XCTAssertEqual(value("x = ones(2, requires_grad=True)\n(x * 2).grad_fn.name()"), "2 _ = 'MulBackward0'")
        XCTAssertEqual(value("torch.nn.functional.relu(tensor([-1.0, 1.0]))"), "1 _ = tensor([0., 1.])")
        XCTAssertEqual(value("F.softmax(tensor([0.0, 0.0]), dim=0)"), "1 _ = tensor([0.5000, 0.5000])")
        XCTAssertEqual(value("torch.optim.SGD"), "1 _ = <built-in function SGD>")
        XCTAssertEqual(value("zeros(2, dtype=torch.long)"), "1 _ = tensor([0, 0])")
        XCTAssertEqual(value("torch.bogus"), "1 AttributeError: module 'torch' has no attribute 'bogus'")
        XCTAssertEqual(value("a, b = tensor([1, 2])\nb"), "2 _ = tensor(2)")
    }
}

/// Hands a value to another thread, so the last reference dies there.
private final class ValueBox: @unchecked Sendable {
    var value: Value?
    init(_ value: Value) { self.value = value }
}
