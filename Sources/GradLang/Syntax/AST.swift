import GradCore

/// The syntax tree. Node names end in their role: `BinaryExpr`-style cases of `Expr.Kind`,
/// statements as `Stmt.Kind`. Every node carries the location of its first token.
package final class Expr {
    package indirect enum Kind {
        case intLiteral(Int64)
        case floatLiteral(Double)
        case stringLiteral(String)
        case boolLiteral(Bool)
        case noneLiteral
        case name(String)
        case tuple([Expr])
        case list([Expr])
        case unary(op: String, Expr)
        case binary(op: String, Expr, Expr)
        /// `a < b <= c`: operands and the operators between them.
        case comparison([Expr], [String])
        case logicalAnd(Expr, Expr)
        case logicalOr(Expr, Expr)
        case logicalNot(Expr)
        case call(Expr, [Argument])
        case attribute(Expr, String)
        case `subscript`(Expr, [IndexItem])
        /// `a if cond else b`
        case conditional(Expr, Expr, Expr)
        /// An f-string: text and formatted values, joined.
        case formatted([FormattedPart])
        /// `{k: v, ...}`
        case dict([(key: Expr, value: Expr)])
        /// `[e for t in xs if c]`, `{k: v for ...}` (`value` set), and `(e for ...)`, which
        /// gradsh makes a list at once.
        case comprehension(element: Expr, value: Expr?, clauses: [ComprehensionClause])
        /// `lambda a, b=1: expr`: a function whose body returns `expr`.
        case lambda(FunctionDef)
        /// `*xs` inside a list or tuple display: its items, spread.
        case starred(Expr)
    }

    package let kind: Kind
    package let location: SourceLocation

    /// The first call in the expression, if any: what could run code or change state
    /// (`w.mul_(10)`), for commands that only look (`:graph`, `:dot`).
    package var firstCall: Expr? {
        var pending: [Expr] = [self]
        while let e = pending.popLast() {
            switch e.kind {
            case .intLiteral, .floatLiteral, .stringLiteral, .boolLiteral, .noneLiteral, .name: break
            case .call: return e
            case .tuple(let xs), .list(let xs): pending += xs
            case .comparison(let xs, _): pending += xs
            case .unary(_, let a), .logicalNot(let a), .attribute(let a, _): pending.append(a)
            case .binary(_, let a, let b), .logicalAnd(let a, let b), .logicalOr(let a, let b): pending += [a, b]
            case .conditional(let a, let b, let c): pending += [a, b, c]
            case .formatted(let parts):
                for case .field(let x, _, _) in parts { pending.append(x) }
            case .dict(let pairs): for (k, v) in pairs { pending += [k, v] }
            // A comprehension runs code as a loop does.
            case .comprehension: return e
            case .lambda: break
            case .starred(let x): pending.append(x)
            case .subscript(let base, let items):
                pending.append(base)
                for item in items {
                    switch item {
                    case .expr(let x): pending.append(x)
                    case .slice(let a, let b, let c): pending += [a, b, c].compactMap { $0 }
                    case .ellipsis: break
                    }
                }
            }
        }
        return nil
    }
    /// For a number literal, the 0-d tensor that stands for it next to a tensor operand,
    /// made once (such tensors are never changed, so one can serve every evaluation).
    lazy var constantTensor: Tensor? = {
        switch kind {
        case .intLiteral(let i): return Tensor.wrapping(.int(i))
        case .floatLiteral(let d): return Tensor.wrapping(.float(d))
        case .unary("-", let inner):
            switch inner.kind {
            case .intLiteral(let i) where i != .min: return Tensor.wrapping(.int(-i))
            case .floatLiteral(let d): return Tensor.wrapping(.float(-d))
            default: return nil
            }
        default: return nil
        }
    }()

    init(_ kind: Kind, _ location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

/// `class Name(bases):` and its body, which runs once to make the class's attributes.
package final class ClassDef {
    package let name: String
    package let bases: [Expr]
    package let body: [Stmt]
    package let location: SourceLocation

    init(name: String, bases: [Expr], body: [Stmt], location: SourceLocation) {
        self.name = name
        self.bases = bases
        self.body = body
        self.location = location
    }
}

/// `except TYPES as NAME:` and its lines; no types catches every error.
package struct ExceptHandler {
    package let types: Expr?
    package let name: String?
    package let body: [Stmt]
    package let location: SourceLocation
}

/// A `for ... in ...` or `if ...` of a comprehension.
package enum ComprehensionClause {
    case loop(Target, Expr)
    case filter(Expr)
}

/// A piece of an f-string: text, or a value with its conversion (`!r`) and format spec.
package enum FormattedPart {
    case text(String)
    case field(Expr, conversion: Character?, spec: String)
}

/// One name an import binds: `import torch.nn as nn` binds `nn` to module `torch.nn`;
/// `from torch import optim` binds `optim` to member `optim` of module `torch`.
package struct ImportBinding {
    package let name: String
    package let module: String
    package let member: String?
    /// Written with `as`: the module itself is bound, not its top-level package.
    package var aliased = false
    package let location: SourceLocation
}

package struct Argument {
    package var label: String?
    package var value: Expr
    /// `f(*xs)` (1) and `f(**kw)` (2) spread their value into the call.
    package var spread = 0
}

package enum IndexItem {
    case expr(Expr)
    case slice(Expr?, Expr?, Expr?)
    case ellipsis
}

/// The head of a mode block or a decorator: which mode, and its argument when it takes one
/// (`inference(False)`, `set_grad_enabled(b)`).
package struct ModeHead {
    package let kind: GradModeKind
    package let argument: Expr?
    /// How a `with` statement wrote it (`with torch.no_grad()`), for the graph line and
    /// `:why`; nil for gradsh's own blocks and decorators.
    package var spelling: String? = nil

    /// The spelling a learner would recognise in messages and prompts.
    package var displayName: String { kind.rawValue }
}

/// What an assignment may write to.
package indirect enum Target {
    case name(String, SourceLocation)
    case `subscript`(Expr, [IndexItem], SourceLocation)
    case attribute(Expr, String, SourceLocation)
    case tuple([Target], SourceLocation)
    /// `*rest` in `a, *rest = xs`: the items left over, as a list.
    case starred(Target, SourceLocation)
}

package final class Stmt {
    package enum Kind {
        case expression(Expr)
        case assign([Target], Expr)
        case augmentedAssign(Target, op: String, Expr)
        case modeBlock(ModeHead, [Stmt])
        case functionDef(FunctionDef)
        case classDef(ClassDef)
        /// `for t in xs:` with Python's `else:` (run when the loop was not left by `break`).
        case forLoop(Target, Expr, [Stmt], orElse: [Stmt])
        case ifElse(Expr, [Stmt], [Stmt]?)
        case whileLoop(Expr, [Stmt], orElse: [Stmt])
        /// `with x:` where `x` is known only when it runs (a grad-mode object in a variable).
        case withValue(Expr, spelling: String, [Stmt])
        case breakStmt
        case continueStmt
        case pass
        case importNames([ImportBinding])
        case assertStmt(Expr, message: Expr?)
        /// `raise`, `raise E(...)` (`from` is read and ignored).
        case raise(Expr?)
        case tryStmt(body: [Stmt], handlers: [ExceptHandler], orElse: [Stmt], finally: [Stmt])
        case delete([Target])
        /// `global a, b` and `nonlocal a` (`isGlobal` false).
        case declare([String], isGlobal: Bool)
        case returnStmt(Expr?)
        /// `:command args`, kept verbatim for the shell.
        case colonCommand(String)
        /// `exercise "task" < assert ...; hint "..."; solution < ... > >`.
        case exercise(Exercise)
        /// `hint "..."` and `solution < ... >`: parts of an exercise, only inside one.
        case exerciseHint(String)
        case exerciseSolution([Stmt])
    }

    package let kind: Kind
    package let location: SourceLocation
    /// The line ended in `;` (IPython's quiet statement): it runs, but its results are not
    /// displayed. Set by the parser on every statement of that line.
    package internal(set) var hidesDisplay = false

    init(_ kind: Kind, _ location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

/// An exercise in a lesson: a task, the checks a learner's answer must pass (asserts on the
/// facts: requires_grad, grad_fn, is_inference, values), hints given after a miss, and a
/// solution that a non-interactive run (a handout, the tests) runs instead of asking.
package final class Exercise {
    package let title: String
    package let checks: [Stmt]
    package let hints: [String]
    package let solution: [Stmt]

    init(title: String, checks: [Stmt], hints: [String], solution: [Stmt]) {
        self.title = title
        self.checks = checks
        self.hints = hints
        self.solution = solution
    }
}

package final class FunctionDef {
    package let name: String
    package let parameters: [(name: String, defaultValue: Expr?)]
    package let decorators: [ModeHead]
    /// Decorated `@staticmethod`: called without `self`.
    package var isStatic = false
    /// `*args` and `**kwargs`: where surplus positional and keyword arguments go.
    package var varArgs: String? = nil { didSet { if let varArgs { localNames.insert(varArgs) } } }
    package var varKeywords: String? = nil { didSet { if let varKeywords { localNames.insert(varKeywords) } } }
    package let body: [Stmt]
    package let location: SourceLocation

    /// The names the body assigns (not those of nested functions' bodies): as in Python,
    /// they are local everywhere in the function, so reading one before it is assigned is
    /// an UnboundLocalError, never the global of the same name.
    package private(set) var localNames: Set<String>

    init(name: String, parameters: [(name: String, defaultValue: Expr?)], decorators: [ModeHead], body: [Stmt], location: SourceLocation) {
        self.name = name
        self.parameters = parameters
        self.decorators = decorators
        self.body = body
        self.location = location
        var names = Set(parameters.map(\.name))
        func bind(_ target: Target) {
            switch target {
            case .name(let n, _): names.insert(n)
            case .tuple(let targets, _): targets.forEach(bind)
            case .starred(let inner, _): bind(inner)
            case .subscript, .attribute: break
            }
        }
        var pending = body
        var declared: Set<String> = []
        while let stmt = pending.popLast() {
            switch stmt.kind {
            case .assign(let targets, _): targets.forEach(bind)
            case .augmentedAssign(let target, _, _): bind(target)
            case .forLoop(let target, _, let inner, let orElse):
                bind(target)
                pending += inner + orElse
            case .functionDef(let def): names.insert(def.name)
            case .classDef(let def): names.insert(def.name)
            case .modeBlock(_, let inner), .withValue(_, _, let inner): pending += inner
            case .whileLoop(_, let inner, let orElse): pending += inner + orElse
            case .ifElse(_, let then, let otherwise): pending += then + (otherwise ?? [])
            case .importNames(let bindings): names.formUnion(bindings.map(\.name))
            case .tryStmt(let inner, let handlers, let orElse, let finally):
                pending += inner + orElse + finally + handlers.flatMap(\.body)
                names.formUnion(handlers.compactMap(\.name))
            case .delete(let targets): targets.forEach(bind)
            case .declare(let declaredNames, _): declared.formUnion(declaredNames)
            case .exercise(let exercise): pending += exercise.solution
            case .expression, .returnStmt, .colonCommand, .breakStmt, .continueStmt, .pass, .assertStmt, .raise,
                 .exerciseHint, .exerciseSolution: break
            }
        }
        localNames = names.subtracting(declared)
    }
}
