/// Python's exception classes, as far as gradsh raises and catches them: every error
/// gradsh reports has one of these type names, `except` matches by Python's hierarchy, and
/// calling a class (`ValueError("bad")`) makes an exception value for `raise`.
enum Exceptions {
    /// Each class's base class.
    static let parent: [String: String] = [
        "Exception": "BaseException", "KeyboardInterrupt": "BaseException",
        "ArithmeticError": "Exception", "LookupError": "Exception", "ValueError": "Exception",
        "TypeError": "Exception", "NameError": "Exception", "AttributeError": "Exception",
        "RuntimeError": "Exception", "ImportError": "Exception", "AssertionError": "Exception",
        "MemoryError": "Exception", "SyntaxError": "Exception", "OSError": "Exception",
        "StopIteration": "Exception", "CommandError": "Exception",
        "ZeroDivisionError": "ArithmeticError", "OverflowError": "ArithmeticError", "FloatingPointError": "ArithmeticError",
        "IndexError": "LookupError", "KeyError": "LookupError",
        "UnboundLocalError": "NameError",
        "NotImplementedError": "RuntimeError", "RecursionError": "RuntimeError",
        "ModuleNotFoundError": "ImportError",
        "IndentationError": "SyntaxError", "TabError": "IndentationError",
        "TimeoutError": "OSError", "FileNotFoundError": "OSError",
    ]

    static var classNames: [String] { Array(parent.keys) + ["BaseException"] }

    /// Whether an error of type `type` is caught by `except base`.
    static func isSubclass(_ type: String, of base: String) -> Bool {
        // A type gradsh has no entry for is an Exception.
        var t: String? = type
        while let name = t {
            if name == base { return true }
            t = parent[name] ?? (name == "BaseException" ? nil : "Exception")
        }
        return false
    }

    /// The class names an `except` clause's value stands for: a class or a tuple of them.
    static func classes(in value: Value) throws -> [String] {
        switch value {
        case .builtin(let b) where parent[b.name] != nil || b.name == "BaseException": return [b.name]
        case .tuple(let items): return try items.flatMap { try classes(in: $0) }
        default: throw GradError.type("catching classes that do not inherit from BaseException is not allowed")
        }
    }

    /// `raise X` / `raise X("message")`: the error to throw.
    static func raised(_ value: Value) throws -> GradError {
        switch value {
        case .exception(let e): return GradError(e.type, e.message)
        case .builtin(let b) where parent[b.name] != nil || b.name == "BaseException": return GradError(b.name, "")
        default: throw GradError.type("exceptions must derive from BaseException")
        }
    }

    /// The constructors, as builtins: `ValueError("message")`.
    static func register(_ add: (String, @escaping Builtins.Body) -> Void) {
        for name in classNames {
            add(name) { args, _ in
                try args.rejectKeywords()
                let message = try args.positional.count == 1 ? Repr.str(args.positional[0])
                    : args.positional.isEmpty ? "" : Repr.repr(.tuple(TupleStorage(args.positional)))
                return .exception(GradError(name, message))
            }
        }
    }
}
