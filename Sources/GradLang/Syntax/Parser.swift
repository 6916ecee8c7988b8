import GradCore

/// A recursive-descent parser for the gradsh grammar (LANGUAGE.md section 3).
///
/// Blocks are `< ... >`. A `<` right after a block head opens a block; inside a block a `>`
/// closes the innermost one when the token after it cannot start an operand, and is
/// greater-than otherwise. In `for`/`if` heads the first top-level `<` opens the block.
package struct Parser {
    /// What parsing a chunk of input gives.
    package enum Outcome {
        case program([Stmt])
        /// An open block, bracket, string or a pending decorator: more lines are coming.
        case incomplete(Unfinished)
        case failure(GradError)
    }

    /// Parses `source` whose first line is line `firstLine` of the user's input.
    package static func parse(_ source: String, firstLine: Int = 1) -> Outcome {
        var lexer = Lexer(source, firstLine: firstLine)
        switch lexer.tokenize() {
        case .incomplete(let unfinished): return .incomplete(unfinished)
        case .failure(let e): return .failure(e)
        case .tokens(let tokens):
            var parser = Parser(tokens: tokens)
            do {
                return .program(try parser.parseProgram())
            } catch let e as GradError {
                return .failure(e)
            } catch let e as Incomplete {
                return .incomplete(parser.unfinished(e))
            } catch {
                return .failure(GradError.syntax("\(error)", at: tokens[0].location))
            }
        }
    }

    /// Whether `source` is a complete chunk (it may still contain a syntax error).
    package static func isComplete(_ source: String) -> Bool {
        if case .incomplete = parse(source) { return false }
        return true
    }

    /// Thrown when the input ends where more could follow; `head` when a block head was
    /// read and its `<` has not come yet.
    struct Incomplete: Error {
        var head: (String, SourceLocation)? = nil
    }

    /// What is still open when the input ended.
    private func unfinished(_ e: Incomplete) -> Unfinished {
        if let (head, at) = openHeads.last { return .block(head: head, at: at) }
        if let (head, at) = e.head { return .blockBody(head: head, at: at) }
        if let at = pendingDecoratorAt { return .decorator(at: at) }
        return .block(head: "", at: tokens.last?.location ?? SourceLocation(line: 1, column: 1))
    }

    /// For an incomplete chunk, the head of the innermost block still open (`no_grad`,
    /// `def f(...)`, `for ... in ...`), for the continuation prompt; nil when the chunk is
    /// complete or only a bracket or string is open.
    package static func innermostOpenBlock(_ source: String) -> String? {
        var lexer = Lexer(source)
        guard case .tokens(let tokens) = lexer.tokenize() else { return nil }
        var parser = Parser(tokens: tokens)
        do {
            _ = try parser.parseProgram()
            return nil
        } catch is Incomplete {
            return parser.openHeads.last?.0 ?? (parser.pendingDecorator ? "@" : nil)
        } catch {
            return nil
        }
    }

    static let maxNesting = 150
    /// Operands one chain of left-associative operators may have (`1 + 1 + ... + 1`): each
    /// adds a level to the expression tree, which evaluation and freeing walk recursively.
    static let maxChain = 100_000

    private var tokens: [Token]
    private var index = 0
    private var blockDepth = 0
    /// Inside an `if`/`for` head at bracket level 0: a `<` opens the block, it is not less-than.
    private var inBlockHead = false
    private var nesting = 0
    /// The first syntax error inside a block; parsing goes on to the block's end so that a
    /// broken block is discarded whole rather than leaving its closing `>` behind.
    private var firstError: GradError?
    /// Heads of the blocks open at the current position, innermost last, with where each
    /// block's `<` is.
    private var openHeads: [(String, SourceLocation)] = []
    private var pendingDecoratorAt: SourceLocation?
    private var pendingDecorator: Bool {
        get { pendingDecoratorAt != nil }
        set { pendingDecoratorAt = newValue ? (pendingDecoratorAt ?? current.location) : nil }
    }

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    // MARK: token helpers

    private var current: Token { tokens[index] }
    private func peek(_ offset: Int = 1) -> Token { tokens[Swift.min(index + offset, tokens.count - 1)] }
    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private mutating func accept(_ op: String) -> Bool {
        if current.isOp(op) { _ = advance(); return true }
        return false
    }

    private mutating func expect(_ op: String, _ what: String? = nil) throws -> Token {
        if current.isOp(op) { return advance() }
        if current.kind == .end && (blockDepth > 0) { throw Incomplete() }
        throw unexpected(current, expected: what ?? "'\(op)'")
    }

    private func unexpected(_ t: Token, expected: String? = nil) -> GradError {
        if case .keyword(let k) = t.kind, Token.keywords.contains(k), expected == nil {
            return .syntax("invalid syntax: unexpected keyword '\(k)'", at: t.location)
        }
        if let expected {
            return .syntax("invalid syntax: expected \(expected), found \(t.display)", at: t.location)
        }
        return .syntax("invalid syntax: unexpected \(t.display)", at: t.location)
    }

    /// Counts one more operand in a chain of operators, refusing one past `maxChain`.
    private func chained(_ count: inout Int) throws {
        count += 1
        if count >= Parser.maxChain {
            throw GradError.syntax("expression too long: more than \(Parser.maxChain) operands in one chain of operators", at: current.location,
                                   hint: "split it into several statements, or use sum() over a list")
        }
    }

    private mutating func nest<T>(_ body: (inout Parser) throws -> T) throws -> T {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Parser.maxNesting {
            throw GradError.syntax("too many nested parentheses, blocks or operators (the limit is \(Parser.maxNesting))", at: current.location)
        }
        return try body(&self)
    }

    /// Whether `t` can begin an operand: decides if a `>` in a block is greater-than.
    private static func canStartOperand(_ t: Token) -> Bool {
        switch t.kind {
        case .name, .int, .float, .string: return true
        case .keyword(let k): return ["not", "True", "False", "None"].contains(k)
        case .op(let o): return ["(", "[", "-", "+", "~", "..."].contains(o)
        case .newline, .end: return false
        }
    }

    /// A `>` here closes the innermost block.
    private func atBlockClose() -> Bool {
        blockDepth > 0 && current.isOp(">") && !Parser.canStartOperand(peek())
    }

    // MARK: statements

    mutating func parseProgram() throws -> [Stmt] {
        var statements: [Stmt] = []
        while true {
            skipSeparators()
            if current.kind == .end {
                if let firstError { throw firstError }
                return statements
            }
            if current.isOp(">") {
                throw GradError.syntax("unmatched '>': no block is open here", at: current.location)
            }
            statements.append(try parseStatement())
            try endOfStatement()
        }
    }

    private mutating func skipSeparators() {
        while current.kind == .newline || current.isOp(";") { _ = advance() }
    }

    private mutating func endOfStatement() throws {
        if current.kind == .newline || current.isOp(";") { _ = advance(); return }
        if current.kind == .end { return }
        if atBlockClose() { return }
        if current.isOp(":") {
            throw GradError.syntax("gradsh has no ':' blocks: a block is written between '<' and '>'", at: current.location)
        }
        throw unexpected(current)
    }

    private mutating func parseStatement() throws -> Stmt {
        try nest { p in try p.parseStatementBody() }
    }

    private mutating func parseStatementBody() throws -> Stmt {
        let t = current
        switch t.kind {
        case .op("@"):
            return try parseDecorated()
        case .op(":") where index == 0 || peek(-1).kind == .newline:
            return try parseColonCommand()
        case .keyword("def"):
            return try parseDef(decorators: [])
        case .keyword("for"):
            return try parseFor()
        case .keyword("if"):
            return try parseIf()
        case .keyword("else"):
            throw GradError.syntax("'else' must follow the closing '>' of an if block on the same line", at: t.location)
        case .keyword("return"):
            _ = advance()
            if current.kind == .newline || current.kind == .end || current.isOp(";") || atBlockClose() {
                return Stmt(.returnStmt(nil), t.location)
            }
            return Stmt(.returnStmt(try parseExpressionList()), t.location)
        case .keyword(let k) where GradModeKind(name: k) != nil && !isModeObjectCall():
            let head = try parseKeywordModeHead()
            return Stmt(.modeBlock(head, try parseBlock(after: head.displayName)), t.location)
        case .name("with"):
            throw withStatementError()
        case .name(let n) where Token.pythonOnlyKeywords.contains(n) && !Parser.isUsedAsName(peek()):
            throw pythonKeywordError(n, at: t.location)
        default:
            break
        }
        if let head = try parseCallModeHeadIfBlock() {
            return Stmt(.modeBlock(head, try parseBlock(after: head.displayName)), t.location)
        }
        return try parseSimpleStatement()
    }

    /// `with`, `while`, ... used as a variable: `with = 3` is fine.
    private static func isUsedAsName(_ next: Token) -> Bool {
        ["=", ".", "(", "[", "+=", "-=", "*=", "/=", ",", ")"].contains { next.isOp($0) } || next.kind == .newline || next.kind == .end
    }

    private func withStatementError() -> GradError {
        let loc = current.location
        var mode = GradModeKind.noGrad.rawValue
        var spelled = "torch.no_grad()"
        for k in index..<Swift.min(index + 6, tokens.count) {
            if case .name(let n) = tokens[k].kind, let kind = GradModeKind(name: n), kind != .noGrad {
                let argument = kind == .setGradEnabled ? "(...)" : ""
                mode = kind.rawValue + argument
                spelled = "torch.\(kind.torchName)(\(argument.isEmpty ? "" : "..."))"
            } else if case .keyword(let kw) = tokens[k].kind, GradModeKind.keywords.contains(kw) {
                mode = kw
                spelled = tokens[k - 1].isOp(".") ? "torch.\(kw)()" : kw
            }
        }
        return .syntax("use \(mode) < ... > instead of with \(spelled):", at: loc,
                       hint: "gradsh writes grad-mode blocks as \(mode) < statements >, on one line or many")
    }

    private func pythonKeywordError(_ k: String, at loc: SourceLocation) -> GradError {
        switch k {
        case "elif": return .syntax("gradsh has no 'elif': write else if (cond) < ... >", at: loc)
        case "while": return .syntax("gradsh has no 'while' loop: use for i in range(n) < ... >", at: loc)
        case "lambda": return .syntax("gradsh has no 'lambda': use def name(args) < return ... >", at: loc)
        case "import", "from": return .syntax("gradsh needs no imports: torch., nn., F. and optim. names are built in", at: loc)
        case "pass": return .syntax("gradsh has no 'pass': an empty block is written < >", at: loc)
        default: return .syntax("'\(k)' is a Python statement that gradsh does not have", at: loc)
        }
    }

    private mutating func parseColonCommand() throws -> Stmt {
        let start = current.location
        // The shell handles colon commands; the parser keeps the rest of the line verbatim.
        var parts: [String] = []
        _ = advance()
        while current.kind != .newline && current.kind != .end {
            parts.append(Parser.spelling(current))
            _ = advance()
        }
        return Stmt(.colonCommand(parts.joined(separator: " ")), start)
    }

    static func spelling(_ t: Token) -> String {
        switch t.kind {
        case .name(let n), .keyword(let n), .op(let n): return n
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .newline, .end: return ""
        }
    }

    /// `<` then statements then `>`; newlines may come between a keyword head and its `<`.
    private mutating func parseBlock(after head: String) throws -> [Stmt] {
        if current.isOp(":") {
            throw GradError.syntax("gradsh blocks are written < ... >, not with ':'", at: current.location,
                                   hint: "write \(head) < statements >")
        }
        if current.kind == .newline && peek().kind == .end { throw Incomplete(head: (head, current.location)) }
        if current.kind == .end { throw Incomplete(head: (head, current.location)) }
        guard current.isOp("<") else {
            throw GradError.syntax("expected '<' to open the \(head) block, found \(current.display)", at: current.location,
                                   hint: "write \(head) < statements >")
        }
        let opening = advance()
        blockDepth += 1
        openHeads.append((head, opening.location))
        var body: [Stmt] = []
        while true {
            skipSeparators()
            if current.kind == .end { throw Incomplete() }
            if current.isOp(">") {
                _ = advance()
                blockDepth -= 1
                openHeads.removeLast()
                return body
            }
            do {
                body.append(try parseStatement())
                if current.kind == .end { throw Incomplete() }
                try endOfStatement()
            } catch let e as GradError {
                if firstError == nil { firstError = e }
                while current.kind != .newline && !current.isOp(";") && !atBlockClose() && current.kind != .end {
                    _ = advance()
                }
                if current.kind == .end { throw Incomplete() }
            }
        }
    }

    /// `no_grad()(f)` or `x = no_grad()`: the keyword is a call of the mode object, not a
    /// block head (a head's parentheses are followed by `<`, `:` or the line's end).
    private func isModeObjectCall() -> Bool {
        guard peek().isOp("(") else { return false }
        var depth = 0
        var i = 1
        while true {
            let t = peek(i)
            if t.kind == .end || t.kind == .newline { return false }
            if t.isOp("(") { depth += 1 }
            if t.isOp(")") {
                depth -= 1
                if depth == 0 { return peek(i + 1).isOp("(") || peek(i + 1).isOp(".") }
            }
            i += 1
        }
    }

    private mutating func parseKeywordModeHead() throws -> ModeHead {
        let t = advance()
        guard case .keyword(let k) = t.kind, let kind = GradModeKind(name: k) else { throw unexpected(t) }
        guard accept("(") else { return ModeHead(kind: kind, argument: nil) }
        if accept(")") { return ModeHead(kind: kind, argument: nil) }
        guard kind == .inference else { throw unexpected(current, expected: "')'") }
        let e = try parseExpression()
        _ = try expect(")")
        return ModeHead(kind: kind, argument: e)
    }

    /// `set_grad_enabled(b) <`, `torch.no_grad() <`, ...: a call that heads a block.
    /// Without a following `<` the call is an ordinary expression and nothing is consumed.
    private mutating func parseCallModeHeadIfBlock() throws -> ModeHead? {
        let save = index
        guard let head = try? parseCallModeHead() else { index = save; return nil }
        if current.isOp("<") || current.isOp(":") { return head }
        index = save
        return nil
    }

    /// The call forms of a mode head, used by blocks and decorators.
    private mutating func parseCallModeHead() throws -> ModeHead? {
        var name: String
        if case .name("torch") = current.kind, peek().isOp(".") {
            _ = advance(); _ = advance()
            switch current.kind {
            case .name(let n), .keyword(let n): name = n
            default: return nil
            }
            _ = advance()
        } else if case .name(let n) = current.kind {
            name = n
            _ = advance()
        } else {
            return nil
        }
        guard let kind = GradModeKind(name: name) else { return nil }
        // set_grad_enabled needs its argument; no_grad and enable_grad take none.
        let takesArgument = kind == .inference || kind == .setGradEnabled
        guard accept("(") else { return kind == .setGradEnabled ? nil : ModeHead(kind: kind, argument: nil) }
        if accept(")") { return kind == .setGradEnabled ? nil : ModeHead(kind: kind, argument: nil) }
        // PyTorch's keyword spelling: inference_mode(mode=False), set_grad_enabled(mode=False).
        if case .name("mode") = current.kind, peek().isOp("="), takesArgument {
            _ = advance(); _ = advance()
        }
        let arg = try parseExpression()
        guard accept(")"), takesArgument else { return nil }
        return ModeHead(kind: kind, argument: arg)
    }

    private mutating func parseDecorated() throws -> Stmt {
        pendingDecorator = true
        var decorators: [ModeHead] = []
        while current.isOp("@") {
            let at = advance()
            let head: ModeHead?
            if case .keyword = current.kind {
                head = try parseKeywordModeHead()
            } else {
                head = try parseCallModeHead()
            }
            guard let head else {
                throw GradError.syntax("unknown decorator: gradsh decorators are @no_grad, @enable_grad, @inference, @set_grad_enabled(b) and their torch. forms", at: at.location)
            }
            decorators.append(head)
            if current.kind == .end { throw Incomplete() }
            guard current.kind == .newline || current.isOp(";") else { throw unexpected(current, expected: "a new line after the decorator") }
            _ = advance()
            skipSeparators()
            if current.kind == .end { throw Incomplete() }
        }
        guard current.isKeyword("def") else {
            throw GradError.syntax("a decorator must be followed by a def", at: current.location)
        }
        pendingDecorator = false
        return try parseDef(decorators: decorators)
    }

    private mutating func parseName(_ what: String) throws -> String {
        if case .name(let n) = current.kind { _ = advance(); return n }
        if current.kind == .end && blockDepth > 0 { throw Incomplete() }
        throw unexpected(current, expected: what)
    }

    private mutating func parseDef(decorators: [ModeHead]) throws -> Stmt {
        let start = advance().location
        let name = try parseName("a function name")
        _ = try expect("(")
        var params: [(name: String, defaultValue: Expr?)] = []
        if !accept(")") {
            repeat {
                if current.isOp(")") { break }
                let loc = current.location
                let p = try parseName("a parameter name")
                if params.contains(where: { $0.name == p }) {
                    throw GradError.syntax("duplicate argument '\(p)' in function definition", at: loc)
                }
                var def: Expr? = nil
                if accept("=") { def = try parseExpression() }
                else if params.last?.defaultValue != nil {
                    throw GradError.syntax("parameter without a default follows parameter with a default", at: loc)
                }
                params.append((p, def))
            } while accept(",")
            _ = try expect(")", "')' to close the parameter list")
        }
        if current.isOp("->") {
            throw GradError.syntax("gradsh functions have no return annotations", at: current.location)
        }
        let body = try parseBlock(after: "def \(name)(...)")
        return Stmt(.functionDef(FunctionDef(name: name, parameters: params, decorators: decorators, body: body, location: start)), start)
    }

    private mutating func parseFor() throws -> Stmt {
        let start = advance().location
        let targetExprs = try parseTargetList()
        guard current.isKeyword("in") else { throw unexpected(current, expected: "'in'") }
        _ = advance()
        let iterable = try parseHeadExpression()
        let body = try parseBlock(after: "for ... in ...")
        return Stmt(.forLoop(targetExprs, iterable, body), start)
    }

    private mutating func parseIf() throws -> Stmt {
        let start = advance().location
        let condition = try parseHeadExpression()
        let body = try parseBlock(after: "if ...")
        var elseBody: [Stmt]? = nil
        if current.isKeyword("else") {
            _ = advance()
            if current.isKeyword("if") {
                elseBody = [try parseIf()]
            } else {
                elseBody = try parseBlock(after: "else")
            }
        }
        return Stmt(.ifElse(condition, body, elseBody), start)
    }

    /// An `if`/`for` head: `<` at bracket level 0 opens the block instead of comparing.
    private mutating func parseHeadExpression() throws -> Expr {
        let saved = inBlockHead
        inBlockHead = true
        defer { inBlockHead = saved }
        return try parseExpression()
    }

    /// `for` targets: names, possibly in a tuple (`for data, target in loader`).
    private mutating func parseTargetList() throws -> Target {
        let start = current.location
        var targets: [Target] = []
        repeat {
            if current.isKeyword("in") { break }
            let e = try parsePostfix()
            targets.append(try target(from: e))
        } while accept(",")
        guard !targets.isEmpty else { throw unexpected(current, expected: "a loop variable") }
        return targets.count == 1 ? targets[0] : .tuple(targets, start)
    }

    private mutating func parseSimpleStatement() throws -> Stmt {
        let start = current.location
        let first = try parseExpressionList()
        if current.isOp("=") {
            var chain = [first]
            while accept("=") {
                if current.kind == .newline || current.kind == .end {
                    throw GradError.syntax("invalid syntax: expected a value after '='", at: current.location)
                }
                chain.append(try parseExpressionList())
            }
            let value = chain.removeLast()
            return Stmt(.assign(try chain.map { try target(from: $0) }, value), start)
        }
        for op in ["+=", "-=", "*=", "/=", "//=", "%=", "**=", "@="] where current.isOp(op) {
            _ = advance()
            let t = try target(from: first)
            if case .tuple = t { throw GradError.syntax("'tuple' is an illegal expression for augmented assignment", at: start) }
            return Stmt(.augmentedAssign(t, op: op, try parseExpressionList()), start)
        }
        return Stmt(.expression(first), start)
    }

    private func target(from e: Expr) throws -> Target {
        switch e.kind {
        case .name(let n): return .name(n, e.location)
        case .subscript(let base, let items): return .subscript(base, items, e.location)
        case .attribute(let base, let name): return .attribute(base, name, e.location)
        case .tuple(let items), .list(let items): return .tuple(try items.map { try target(from: $0) }, e.location)
        case .call: throw GradError.syntax("cannot assign to function call", at: e.location)
        case .intLiteral, .floatLiteral, .stringLiteral, .boolLiteral, .noneLiteral:
            throw GradError.syntax("cannot assign to literal", at: e.location)
        default: throw GradError.syntax("cannot assign to expression", at: e.location)
        }
    }

    // MARK: expressions

    /// `a, b, c` (a tuple when there is a comma) or a single expression.
    private mutating func parseExpressionList() throws -> Expr {
        let start = current.location
        let first = try parseExpression()
        guard current.isOp(",") else { return first }
        var items = [first]
        while accept(",") {
            if !Parser.canStartOperand(current) { break }
            items.append(try parseExpression())
        }
        return Expr(.tuple(items), start)
    }

    mutating func parseExpression() throws -> Expr {
        try nest { p in
            let start = p.current.location
            let value = try p.parseOr()
            if p.current.isKeyword("if") && !p.inBlockHead {
                _ = p.advance()
                let cond = try p.parseOr()
                guard p.current.isKeyword("else") else { throw p.unexpected(p.current, expected: "'else'") }
                _ = p.advance()
                let other = try p.parseExpression()
                return Expr(.conditional(value, cond, other), start)
            }
            return value
        }
    }

    private mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        var count = 0
        while current.isKeyword("or") {
            try chained(&count)
            let loc = advance().location
            left = Expr(.logicalOr(left, try parseAnd()), loc)
        }
        return left
    }

    private mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        var count = 0
        while current.isKeyword("and") {
            try chained(&count)
            let loc = advance().location
            left = Expr(.logicalAnd(left, try parseNot()), loc)
        }
        return left
    }

    private mutating func parseNot() throws -> Expr {
        if current.isKeyword("not") {
            let loc = advance().location
            return try nest { p in Expr(.logicalNot(try p.parseNot()), loc) }
        }
        return try parseComparison()
    }

    private mutating func comparisonOperator() -> String? {
        switch current.kind {
        case .op(let o) where ["==", "!=", "<=", ">="].contains(o): return o
        case .op("<"): return inBlockHead ? nil : "<"
        case .op(">"): return atBlockClose() ? nil : ">"
        case .keyword("in"): return inBlockHead ? nil : "in"
        case .keyword("not") where peek().isKeyword("in"): return "not in"
        case .name("is"): return peek().isKeyword("not") ? "is not" : "is"
        default: return nil
        }
    }

    private mutating func parseComparison() throws -> Expr {
        let start = current.location
        let first = try parseBitOr()
        var operands = [first]
        var ops: [String] = []
        var count = 0
        while let op = comparisonOperator() {
            try chained(&count)
            _ = advance()
            if op == "not in" || op == "is not" { _ = advance() }
            ops.append(op)
            operands.append(try parseBitOr())
        }
        return ops.isEmpty ? first : Expr(.comparison(operands, ops), start)
    }

    private mutating func parseBitOr() throws -> Expr {
        var left = try parseBitXor()
        var count = 0
        while current.isOp("|") {
            try chained(&count)
            let loc = advance().location
            left = Expr(.binary(op: "|", left, try parseBitXor()), loc)
        }
        return left
    }

    private mutating func parseBitXor() throws -> Expr {
        var left = try parseBitAnd()
        var count = 0
        while current.isOp("^") {
            try chained(&count)
            let loc = advance().location
            left = Expr(.binary(op: "^", left, try parseBitAnd()), loc)
        }
        return left
    }

    private mutating func parseBitAnd() throws -> Expr {
        var left = try parseArith()
        var count = 0
        while current.isOp("&") {
            try chained(&count)
            let loc = advance().location
            left = Expr(.binary(op: "&", left, try parseArith()), loc)
        }
        return left
    }

    private mutating func parseArith() throws -> Expr {
        var left = try parseTerm()
        var count = 0
        while current.isOp("+") || current.isOp("-") {
            try chained(&count)
            let t = advance()
            try rejectDoubledOperator()
            left = Expr(.binary(op: Parser.spelling(t), left, try parseTerm()), t.location)
        }
        return left
    }

    private mutating func parseTerm() throws -> Expr {
        var left = try parseFactor()
        var count = 0
        while let op = ["*", "/", "//", "%", "@"].first(where: { current.isOp($0) }) {
            try chained(&count)
            let t = advance()
            try rejectDoubledOperator()
            left = Expr(.binary(op: op, left, try parseFactor()), t.location)
        }
        return left
    }

    /// `x +* 2` is a syntax error in Python; so it is here, pointing at the second operator.
    private func rejectDoubledOperator() throws {
        if ["*", "/", "//", "%", "@", "**"].contains(where: { current.isOp($0) }) {
            throw GradError.syntax("invalid syntax: \(current.display) cannot follow another operator", at: current.location)
        }
    }

    private mutating func parseFactor() throws -> Expr {
        if let op = ["-", "+", "~"].first(where: { current.isOp($0) }) {
            let loc = advance().location
            return try nest { p in Expr(.unary(op: op, try p.parseFactor()), loc) }
        }
        return try parsePower()
    }

    private mutating func parsePower() throws -> Expr {
        let base = try parsePostfix()
        if current.isOp("**") {
            let loc = advance().location
            try rejectDoubledOperator()
            return try nest { p in Expr(.binary(op: "**", base, try p.parseFactor()), loc) }
        }
        return base
    }

    private mutating func parsePostfix() throws -> Expr {
        var e = try parsePrimary()
        var count = 0
        while true {
            try chained(&count)
            if current.isOp("(") {
                let loc = advance().location
                e = Expr(.call(e, try parseArguments()), loc)
            } else if current.isOp("[") {
                let loc = advance().location
                e = Expr(.subscript(e, try parseIndex()), loc)
            } else if current.isOp(".") {
                _ = advance()
                let loc = current.location
                switch current.kind {
                case .name(let n), .keyword(let n):
                    _ = advance()
                    e = Expr(.attribute(e, n), loc)
                default:
                    throw unexpected(current, expected: "an attribute name after '.'")
                }
            } else {
                return e
            }
        }
    }

    /// Runs `body` with block heads suspended: inside brackets `<` and `>` always compare.
    private mutating func bracketed<T>(_ body: (inout Parser) throws -> T) throws -> T {
        let (savedHead, savedDepth) = (inBlockHead, blockDepth)
        inBlockHead = false
        blockDepth = 0
        defer { inBlockHead = savedHead; blockDepth = savedDepth }
        return try nest(body)
    }

    private mutating func parseArguments() throws -> [Argument] {
        try bracketed { p in
            var args: [Argument] = []
            var sawKeyword = false
            while !p.current.isOp(")") {
                if case .name(let n) = p.current.kind, p.peek().isOp("=") {
                    _ = p.advance(); _ = p.advance()
                    if args.contains(where: { $0.label == n }) {
                        throw GradError.syntax("keyword argument repeated: \(n)", at: p.current.location)
                    }
                    args.append(Argument(label: n, value: try p.parseExpression()))
                    sawKeyword = true
                } else {
                    let loc = p.current.location
                    let value = try p.parseExpression()
                    if sawKeyword {
                        throw GradError.syntax("positional argument follows keyword argument", at: loc)
                    }
                    args.append(Argument(label: nil, value: value))
                }
                if !p.accept(",") {
                    if p.current.isOp(")") { break }
                    throw p.missingComma(closing: ")")
                }
            }
            _ = try p.expect(")")
            return args
        }
    }

    private func missingComma(closing: String) -> GradError {
        if Parser.canStartOperand(current) {
            return .syntax("invalid syntax. Perhaps you forgot a comma?", at: current.location)
        }
        return unexpected(current, expected: "',' or '\(closing)'")
    }

    private mutating func parseIndex() throws -> [IndexItem] {
        try bracketed { p in
            var items: [IndexItem] = []
            repeat {
                if p.current.isOp("]") { break }
                items.append(try p.parseIndexItem())
            } while p.accept(",")
            if !p.current.isOp("]") { throw p.missingComma(closing: "]") }
            _ = p.advance()
            if items.isEmpty { throw GradError.syntax("invalid syntax: an index is needed between '[' and ']'", at: p.current.location) }
            return items
        }
    }

    private mutating func parseIndexItem() throws -> IndexItem {
        if current.isOp("...") { _ = advance(); return .ellipsis }
        var start: Expr? = nil
        if !current.isOp(":") {
            start = try parseExpression()
            if !current.isOp(":") { return .expr(start!) }
        }
        _ = advance()
        var end: Expr? = nil, step: Expr? = nil
        if !current.isOp(":") && !current.isOp(",") && !current.isOp("]") { end = try parseExpression() }
        if accept(":") {
            if !current.isOp(",") && !current.isOp("]") { step = try parseExpression() }
        }
        return .slice(start, end, step)
    }

    private mutating func parsePrimary() throws -> Expr {
        let t = current
        switch t.kind {
        case .int(let i): _ = advance(); return Expr(.intLiteral(i), t.location)
        case .float(let d): _ = advance(); return Expr(.floatLiteral(d), t.location)
        case .string(let s):
            _ = advance()
            var text = s
            while case .string(let more) = current.kind { text += more; _ = advance() }
            return Expr(.stringLiteral(text), t.location)
        case .keyword("True"): _ = advance(); return Expr(.boolLiteral(true), t.location)
        case .keyword("False"): _ = advance(); return Expr(.boolLiteral(false), t.location)
        case .keyword("None"): _ = advance(); return Expr(.noneLiteral, t.location)
        case .name(let n): _ = advance(); return Expr(.name(n), t.location)
        case .op("("):
            _ = advance()
            return try bracketed { p in
                if p.accept(")") { return Expr(.tuple([]), t.location) }
                let first = try p.parseExpression()
                if p.accept(")") { return first }
                guard p.current.isOp(",") else { throw p.missingComma(closing: ")") }
                var items = [first]
                while p.accept(",") {
                    if p.current.isOp(")") { break }
                    items.append(try p.parseExpression())
                }
                if !p.current.isOp(")") { throw p.missingComma(closing: ")") }
                _ = p.advance()
                return Expr(.tuple(items), t.location)
            }
        case .op("["):
            _ = advance()
            return try bracketed { p in
                var items: [Expr] = []
                while !p.current.isOp("]") {
                    items.append(try p.parseExpression())
                    if !p.accept(",") {
                        if p.current.isOp("]") { break }
                        throw p.missingComma(closing: "]")
                    }
                }
                _ = p.advance()
                return Expr(.list(items), t.location)
            }
        case .end:
            if blockDepth > 0 { throw Incomplete() }
            throw GradError.syntax("invalid syntax: the statement ends too early", at: t.location)
        case .newline:
            throw GradError.syntax("invalid syntax: the line ends too early", at: t.location)
        case .keyword(let k) where GradModeKind(name: k) != nil:
            // `no_grad()(f)`: the mode object, called on a function.
            if peek().isOp("("), let kind = GradModeKind(name: k) {
                _ = advance()
                return Expr(.name(kind.torchName), t.location)
            }
            throw GradError.syntax("'\(k)' heads a block: write \(k) < statements >", at: t.location)
        case .op("..."):
            throw GradError.syntax("'...' can only be used inside an index", at: t.location)
        default:
            throw unexpected(t)
        }
    }
}
