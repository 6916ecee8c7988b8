import GradCore

/// The syntax tree. Node names end in their role: `BinaryExpr`-style cases of `Expr.Kind`,
/// statements as `Stmt.Kind`. Every node carries the location of its first token.
public final class Expr {
    public indirect enum Kind {
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
    }

    public let kind: Kind
    public let location: SourceLocation
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

public struct Argument {
    public var label: String?
    public var value: Expr
}

public enum IndexItem {
    case expr(Expr)
    case slice(Expr?, Expr?, Expr?)
    case ellipsis
}

/// The head of a mode block or a decorator: which mode, and its argument when it takes one
/// (`inference(False)`, `set_grad_enabled(b)`).
public struct ModeHead {
    public let kind: GradModeKind
    public let argument: Expr?

    /// The spelling a learner would recognise in messages and prompts.
    public var displayName: String { kind.rawValue }
}

/// What an assignment may write to.
public indirect enum Target {
    case name(String, SourceLocation)
    case `subscript`(Expr, [IndexItem], SourceLocation)
    case attribute(Expr, String, SourceLocation)
    case tuple([Target], SourceLocation)
}

public final class Stmt {
    public enum Kind {
        case expression(Expr)
        case assign([Target], Expr)
        case augmentedAssign(Target, op: String, Expr)
        case modeBlock(ModeHead, [Stmt])
        case functionDef(FunctionDef)
        case forLoop(Target, Expr, [Stmt])
        case ifElse(Expr, [Stmt], [Stmt]?)
        case returnStmt(Expr?)
        /// `:command args`, kept verbatim for the shell.
        case colonCommand(String)
    }

    public let kind: Kind
    public let location: SourceLocation

    init(_ kind: Kind, _ location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

public final class FunctionDef {
    public let name: String
    public let parameters: [(name: String, defaultValue: Expr?)]
    public let decorators: [ModeHead]
    public let body: [Stmt]
    public let location: SourceLocation

    init(name: String, parameters: [(name: String, defaultValue: Expr?)], decorators: [ModeHead], body: [Stmt], location: SourceLocation) {
        self.name = name
        self.parameters = parameters
        self.decorators = decorators
        self.body = body
        self.location = location
    }
}
