import GradCore

/// TAB completion candidates for the text before the cursor: variables, builtins and
/// keywords; methods and attributes after `x.` (from the value's actual type); keyword
/// argument names inside a call; and colon commands.
package enum Completion {
    package static let commandNames = [":help", ":vars", ":graph", ":draw", ":why", ":dot", ":save", ":set", ":mode", ":mem", ":time", ":timeit", ":compare", ":load", ":lessons", ":lesson", ":reset", ":quit"]

    /// Every builtin name (for help suggestions).
    package static var builtinNames: [String] { Builtins.allNames }

    /// Every tensor method's name, sorted.
    package static var tensorMethodNames: [String] { Methods.tensorMethodNames.sorted() }

    package static func candidates(for line: String, in session: Session) -> [String] {
        if line.hasPrefix(":") && !line.contains(" ") {
            return commandNames.filter { $0.hasPrefix(line) }
        }
        let word = currentWord(line)
        let before = line.dropLast(word.count)
        if before.hasSuffix(".") {
            let owner = trailingExpression(String(before.dropLast()))
            guard let value = try? session.evaluateExpressionQuietly(owner) else { return [] }
            return members(of: value).filter { $0.hasPrefix(word) }.sorted()
        }
        var names = Set(session.interpreter.globals.names)
        names.formUnion(Builtins.allNames)
        names.formUnion(Token.keywords)
        names.formUnion(Builtins.namespaces)
        if let call = openCallee(String(before)), let params = parameterNames(of: call, in: session) {
            names.formUnion(params.map { $0 + "=" })
        }
        return names.filter { $0.hasPrefix(word) && !$0.isEmpty }.sorted()
    }

    /// The identifier characters at the end of `line`.
    static func currentWord(_ line: String) -> String {
        String(line.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
    }

    /// `model.layer[0]` before a dot: names, dots, calls with balanced brackets.
    static func trailingExpression(_ text: String) -> String {
        var depth = 0
        var start = text.endIndex
        var i = text.endIndex
        while i > text.startIndex {
            let j = text.index(before: i)
            let c = text[j]
            if c == ")" || c == "]" { depth += 1 }
            else if c == "(" || c == "[" {
                if depth == 0 { break }
                depth -= 1
            } else if depth == 0 && !(c.isLetter || c.isNumber || c == "_" || c == ".") { break }
            start = j
            i = j
        }
        return String(text[start...])
    }

    /// The name of the function whose argument list is open at the end of `text`.
    static func openCallee(_ text: String) -> String? {
        var depth = 0
        var i = text.endIndex
        while i > text.startIndex {
            let j = text.index(before: i)
            switch text[j] {
            case ")", "]": depth += 1
            case "[": depth -= 1
            case "(":
                if depth == 0 {
                    let name = trailingExpression(String(text[..<j]))
                    return name.isEmpty ? nil : name
                }
                depth -= 1
            default: break
            }
            i = j
        }
        return nil
    }

    static func parameterNames(of callee: String, in session: Session) -> [String]? {
        if let value = try? session.evaluateExpressionQuietly(callee), case .function(let f) = value {
            return f.definition.parameters.map(\.name)
        }
        let name = callee.split(separator: ".").last.map(String.init) ?? callee
        return keywordNames(of: name)
    }

    /// The keyword arguments a builtin or method named `name` takes (nil when unknown).
    package static func keywordNames(of name: String) -> [String]? {
        keywordArguments[name] ?? OpBindings.parameterNames(name)
    }

    /// Keyword arguments of the builtins that are not registry ops.
    static let keywordArguments: [String: [String]] = [
        "tensor": ["dtype", "requires_grad"], "grad": ["retain_graph", "create_graph", "allow_unused", "grad_outputs"],
        "DataLoader": ["batch_size", "shuffle", "drop_last"],
        "make_blobs": ["n_samples", "centers", "n_features", "seed", "cluster_std"], "print": ["sep", "end"], "randint": ["size", "dtype"],
        "round": ["ndigits"],
    ]

    /// An object's own attributes and its class's (methods and class attributes), without
    /// the `__dunder__` names.
    static func classMembers(_ instance: Instance) -> [String] {
        let names = Array(instance.attributes.keys) + instance.cls.mro.flatMap { $0.attributes.keys }
        return Array(Set(names.filter { !$0.hasPrefix("__") })).sorted()
    }

    /// Attribute and method names of a value, by its actual type.
    package static func members(of value: Value) -> [String] {
        switch value {
        case .tensor: return Array(Methods.tensorAttributeNames) + Array(Methods.tensorMethodNames)
        case .module(let m):
            var names = ["training", "to", "cpu"] + ModuleRegistry.moduleMethods.map(\.name)
            names += m.ownParameters.map(\.name)
            if let script = m as? ScriptModule {
                names += script.childNames
                if let instance = script.pythonObject as? Instance { names += classMembers(instance) }
            }
            if m is Linear { names += ["in_features", "out_features", "bias"] }
            if m is Dropout { names.append("p") }
            return names
        case .optimizer: return ModuleRegistry.optimizerMethods.map(\.name) + ["param_groups"]
        case .node: return ["next_functions", "name"]
        case .list: return Methods.listMethodNames
        case .dict: return Methods.dictMethodNames
        case .str: return Methods.stringMethodNames
        case .loader: return ["dataset", "batch_size"]
        case .dataset: return ["tensors"]
        case .instance(let i): return classMembers(i)
        case .classObject(let c): return c.mro.flatMap { $0.attributes.keys } + (c.kind == .autogradFunction ? ["apply"] : [])
        case .namespace: return Builtins.allNames + ["float32", "float", "long", "int64", "bool", "nn", "functional", "optim", "autograd"]
        default: return []
        }
    }
}

extension Session {
    /// Evaluates a side-effect-free looking expression for completion: only names, attribute
    /// access and subscripts, never calls (completion must not run user code).
    func evaluateExpressionQuietly(_ text: String) throws -> Value {
        guard !text.isEmpty, !text.contains("(") else { throw GradError.value("not evaluated") }
        return try evaluateExpression(text)
    }
}
