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

    /// Parses `source` whose first line is line `firstLine` of the user's input. With
    /// `final`, no more lines will come: the end of input ends Python blocks (the lines
    /// indented under a `:`), which otherwise the next indented line could continue.
    package static func parse(_ source: String, firstLine: Int = 1, final: Bool = false) -> Outcome {
        var lexer = Lexer(source, firstLine: firstLine)
        switch lexer.tokenize() {
        case .incomplete(let unfinished): return .incomplete(unfinished)
        case .failure(let e): return .failure(e)
        case .tokens(let tokens):
            var parser = Parser(tokens: tokens)
            parser.isFinal = final
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
        if let open = openHeads.last {
            return open.isSuite ? .suite(head: open.name, at: open.at, topLevel: openHeads.allSatisfy(\.isSuite))
                : .block(head: open.name, at: open.at)
        }
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
        } catch let e as Incomplete {
            return parser.openHeads.last?.name ?? e.head?.0 ?? (parser.pendingDecorator ? "@" : nil)
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
    /// Blocks open at the current position, innermost last: gradsh blocks with where their
    /// `<` is, Python blocks (suites) with where their statement starts.
    private struct OpenHead {
        let name: String
        let at: SourceLocation
        let isSuite: Bool
    }
    private var openHeads: [OpenHead] = []
    /// No more input will come: the end closes Python blocks.
    var isFinal = false
    /// Indentation of the Python blocks open here, outermost first (with the indentation
    /// of the outermost statement's line before them).
    private var indentLevels: [Int] = []
    /// Loops around the current statement inside the current function (for break/continue).
    private var loopDepth = 0
    /// Function definitions around the current statement (for nonlocal).
    private var functionDepth = 0
    /// Inside an exercise block, where `hint` and `solution` are statements.
    private var exerciseDepth = 0
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
        case .name, .int, .float, .string, .formatted: return true
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
        var lineStart = 0
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
            try endOfStatement(in: statements, lineStart: &lineStart)
        }
    }

    private mutating func skipSeparators() {
        while current.kind == .newline || current.isOp(";") { _ = advance() }
    }

    /// Ends the last statement of `list`. `lineStart` is where the statements sharing its
    /// line begin: a `;` that ends the line hides all their results, as in IPython.
    private mutating func endOfStatement(in list: [Stmt], lineStart: inout Int) throws {
        if current.isOp(";") {
            let next = peek()
            let closesBlock = blockDepth > 0 && next.isOp(">") && !Parser.canStartOperand(peek(2))
            if next.kind == .newline || next.kind == .end || closesBlock {
                for s in list[Swift.min(lineStart, list.count)...] { s.hidesDisplay = true }
            } else {
                try endOfStatement()
                return
            }
        }
        try endOfStatement()
        lineStart = list.count
    }

    private mutating func endOfStatement() throws {
        if current.kind == .newline || current.isOp(";") { _ = advance(); return }
        // A Python block ended at the line before: its statement has ended too.
        if index > 0 && tokens[index - 1].kind == .newline { return }
        if current.kind == .end { return }
        if atBlockClose() { return }
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
            throw GradError.syntax("'else' must follow the closing '>' of an if block, or come under its 'if:' at the same indentation", at: t.location)
        case .name("while") where !Parser.isUsedAsVariable(peek()):
            return try parseWhile()
        case .name("with") where !Parser.isUsedAsVariable(peek()):
            return try parseWith()
        case .name("import") where !Parser.isUsedAsVariable(peek()), .name("from") where !Parser.isUsedAsVariable(peek()):
            return try parseImport()
        case .name("assert") where !Parser.isUsedAsVariable(peek()):
            _ = advance()
            let condition = try parseExpression()
            let message = accept(",") ? try parseExpression() : nil
            return Stmt(.assertStmt(condition, message: message), t.location)
        case .name("raise") where !Parser.isUsedAsVariable(peek()) || Parser.endsStatement(peek()):
            _ = advance()
            if Parser.endsStatement(current) { return Stmt(.raise(nil), t.location) }
            let e = try parseExpression()
            if current.name == "from" { _ = advance(); _ = try parseExpression() }
            return Stmt(.raise(e), t.location)
        case .name("del") where !Parser.isUsedAsVariable(peek()):
            _ = advance()
            var targets: [Target] = []
            repeat {
                if Parser.endsStatement(current) { break }
                targets.append(try target(from: try parsePostfix()))
            } while accept(",")
            return Stmt(.delete(targets), t.location)
        case .name(let word) where (word == "global" || word == "nonlocal") && !Parser.isUsedAsVariable(peek()):
            _ = advance()
            var names: [String] = []
            repeat { names.append(try parseName("a name")) } while accept(",")
            if word == "nonlocal" && functionDepth == 0 {
                throw GradError.syntax("nonlocal declaration not allowed at module level", at: t.location)
            }
            return Stmt(.declare(names, isGlobal: word == "global"), t.location)
        case .name("class") where !Parser.isUsedAsVariable(peek()):
            return try parseClass()
        case .name("exercise") where peek().kind.isString:
            return try parseExercise()
        case .name("hint") where exerciseDepth > 0 && peek().kind.isString:
            _ = advance()
            guard case .string(let text) = advance().kind else { throw unexpected(current) }
            return Stmt(.exerciseHint(text), t.location)
        case .name("solution") where exerciseDepth > 0 && peek().isOp("<"):
            _ = advance()
            exerciseDepth -= 1
            defer { exerciseDepth += 1 }
            return Stmt(.exerciseSolution(try parseBlock(after: "solution")), t.location)
        case .name("try") where peek().isOp(":"):
            return try parseTry()
        case .name("pass") where Parser.endsStatement(peek()):
            _ = advance()
            return Stmt(.pass, t.location)
        case .name(let word) where (word == "break" || word == "continue") && Parser.endsStatement(peek()):
            _ = advance()
            guard loopDepth > 0 else {
                throw GradError.syntax(word == "break" ? "'break' outside loop" : "'continue' not properly in loop", at: t.location)
            }
            return Stmt(word == "break" ? .breakStmt : .continueStmt, t.location)
        case .keyword("return"):
            _ = advance()
            if current.kind == .newline || current.kind == .end || current.isOp(";") || atBlockClose() {
                return Stmt(.returnStmt(nil), t.location)
            }
            return Stmt(.returnStmt(try parseExpressionList()), t.location)
        case .keyword(let k) where GradModeKind(name: k) != nil && !isModeObjectCall() && headsBlock():
            let head = try parseKeywordModeHead()
            return Stmt(.modeBlock(head, try parseBlock(after: head.displayName)), t.location)
        case .name(let n) where Token.pythonOnlyKeywords.contains(n) && !Parser.isUsedAsVariable(peek()):
            throw pythonKeywordError(n, at: t.location)
        default:
            break
        }
        if let head = try parseCallModeHeadIfBlock() {
            return Stmt(.modeBlock(head, try parseBlock(after: head.displayName)), t.location)
        }
        return try parseSimpleStatement()
    }

    /// `exercise "task" < checks, hints, solution >`: the checks are `assert` statements.
    private mutating func parseExercise() throws -> Stmt {
        let start = current.location
        _ = advance()
        guard case .string(let title) = advance().kind else { throw unexpected(current) }
        exerciseDepth += 1
        let body: [Stmt]
        do {
            body = try parseBlock(after: "exercise")
            exerciseDepth -= 1
        } catch {
            exerciseDepth -= 1
            throw error
        }
        var checks: [Stmt] = [], hints: [String] = [], solution: [Stmt]? = nil
        for stmt in body {
            switch stmt.kind {
            case .assertStmt: checks.append(stmt)
            case .exerciseHint(let text): hints.append(text)
            case .exerciseSolution(let block):
                guard solution == nil else { throw GradError.syntax("an exercise has one solution", at: stmt.location) }
                solution = block
            default:
                throw GradError.syntax("an exercise holds assert checks, hint \"...\" lines and one solution < ... >", at: stmt.location,
                                       hint: "setup goes before the exercise; checks are assert CONDITION, \"what is still wrong\"")
            }
        }
        guard !checks.isEmpty else { throw GradError.syntax("an exercise needs at least one assert check", at: start) }
        guard let solution else { throw GradError.syntax("an exercise needs a solution < ... >, run when nobody answers (handouts, tests)", at: start) }
        return Stmt(.exercise(Exercise(title: title, checks: checks, hints: hints, solution: solution)), start)
    }

    /// `with`, `while`, ... used as a variable: `with = 3` is fine.
    private static func isUsedAsVariable(_ next: Token) -> Bool {
        ["=", ".", "[", "+=", "-=", "*=", "/=", ",", ")"].contains { next.isOp($0) } || next.kind == .newline || next.kind == .end
    }

    /// `t` ends a simple statement (`pass`, `break`).
    private static func endsStatement(_ t: Token) -> Bool {
        t.kind == .newline || t.kind == .end || t.isOp(";") || t.isOp(">")
    }

    /// Whether the statement starting here is written Python's way: its line has a `:`
    /// outside brackets (`if x < 3:`, `for i in range(3):`), so a `<` in its head
    /// compares instead of opening a block.
    private func headEndsWithColon() -> Bool {
        var depth = 0
        var i = index
        while i < tokens.count {
            let t = tokens[i]
            if t.kind == .newline || t.kind == .end { return false }
            if t.isOp("(") || t.isOp("[") || t.isOp("{") { depth += 1 }
            if t.isOp(")") || t.isOp("]") || t.isOp("}") { depth -= 1 }
            if t.isOp(":") && depth == 0 { return true }
            i += 1
        }
        return false
    }

    /// The indentation of the line the token at `i` is on.
    private func indentOfLine(at i: Int) -> Int {
        var j = Swift.min(i, tokens.count - 1)
        while j > 0 && tokens[j].lineIndent == nil { j -= 1 }
        return tokens[j].lineIndent ?? 0
    }

    private func pythonKeywordError(_ k: String, at loc: SourceLocation) -> GradError {
        switch k {
        case "elif": return .syntax("'elif' must come under its 'if ...:' at the same indentation", at: loc)
        case "lambda": return .syntax("gradsh has no 'lambda': use def name(args) < return ... >", at: loc)
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
        case .formatted: return "f\"...\""
        case .newline, .end: return ""
        }
    }

    /// `<` then statements then `>`; newlines may come between a keyword head and its `<`.
    private mutating func parseBlock(after head: String, statement: String? = nil, startedAt start: SourceLocation? = nil) throws -> [Stmt] {
        if current.isOp(":") {
            return try parseSuite(head: head, statement: statement ?? "'\(head.split(separator: " ").first ?? "")' statement", startedAt: start ?? current.location)
        }
        if current.kind == .newline && peek().kind == .end { throw Incomplete(head: (head, current.location)) }
        if current.kind == .end { throw Incomplete(head: (head, current.location)) }
        guard current.isOp("<") else {
            throw GradError.syntax("expected '<' to open the \(head) block, found \(current.display)", at: current.location,
                                   hint: "write \(head) < statements >")
        }
        let opening = advance()
        blockDepth += 1
        openHeads.append(OpenHead(name: head, at: opening.location, isSuite: false))
        var body: [Stmt] = []
        var lineStart = 0
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
                try endOfStatement(in: body, lineStart: &lineStart)
            } catch let e as GradError {
                if firstError == nil { firstError = e }
                while current.kind != .newline && !current.isOp(";") && !atBlockClose() && current.kind != .end {
                    _ = advance()
                }
                if current.kind == .end { throw Incomplete() }
                lineStart = body.count
            }
        }
    }

    /// Python's block: `:` then simple statements on the same line, or the lines indented
    /// under it (more than the line of `start`, all alike). A line indented less ends it
    /// (at an indentation of a block around it, else it is an IndentationError); so does
    /// a `>` that closes a gradsh block around it, and, with `isFinal`, the end of input.
    private mutating func parseSuite(head: String, statement: String, startedAt start: SourceLocation) throws -> [Stmt] {
        let headIndent = indentOfLine(at: index)
        _ = advance()
        if current.kind != .newline && current.kind != .end {
            var body = [try parseStatement()]
            while current.isOp(";") && !Parser.endsStatement(peek()) {
                _ = advance()
                body.append(try parseStatement())
            }
            if current.isOp(";") {
                if peek().kind == .newline || peek().kind == .end { body.forEach { $0.hidesDisplay = true } }
                _ = advance()
            }
            return body
        }
        if current.kind == .newline { _ = advance() }
        let missing = GradError("IndentationError", "expected an indented block after \(statement) on line \(start.line)", at: current.location)
        if current.kind == .end {
            // No line of the block yet: the next line belongs to it, whatever its indentation.
            if isFinal { throw missing }
            throw Incomplete(head: (head, start))
        }
        guard let bodyIndent = current.lineIndent, bodyIndent > headIndent else { throw missing }
        if indentLevels.isEmpty { indentLevels.append(headIndent) }
        indentLevels.append(bodyIndent)
        openHeads.append(OpenHead(name: head, at: start, isSuite: true))
        let savedDepth = blockDepth
        blockDepth = 0
        var body: [Stmt] = []
        var lineStart = 0
        while true {
            skipSeparators()
            if current.kind == .end {
                if isFinal { break }
                throw Incomplete()
            }
            // A `>` of a gradsh block around this Python block closes both.
            if savedDepth > 0 && current.isOp(">") && !Parser.canStartOperand(peek()) { break }
            let indent = current.lineIndent ?? bodyIndent
            if indent > bodyIndent {
                throw GradError("IndentationError", "unexpected indent", at: current.location)
            }
            if indent < bodyIndent {
                let outer = indentLevels.dropLast()
                if !outer.contains(indent) && indent > (outer.first ?? 0) {
                    throw GradError("IndentationError", "unindent does not match any outer indentation level", at: current.location)
                }
                break
            }
            body.append(try parseStatement())
            try endOfStatement(in: body, lineStart: &lineStart)
        }
        blockDepth = savedDepth
        openHeads.removeLast()
        indentLevels.removeLast()
        if indentLevels.count == 1 { indentLevels = [] }
        return body
    }

    /// Block words are soft keywords: one heads a block only when a block follows it, that
    /// is `<` or `:` after it and its parenthesized argument, or the end of the line after
    /// the bare word (its `<` may come on a later line). `inference(model, x)` is a call.
    private func headsBlock() -> Bool {
        var i = 1
        if peek().isOp("(") {
            var depth = 0
            while true {
                let t = peek(i)
                if t.kind == .end || t.kind == .newline { return false }
                if t.isOp("(") { depth += 1 }
                if t.isOp(")") { depth -= 1; if depth == 0 { break } }
                i += 1
            }
            let after = peek(i + 1)
            return after.isOp("<") || after.isOp(":") || after.kind == .end && peek(i).kind != .end
        }
        let after = peek(i)
        return after.isOp("<") || after.isOp(":") || after.kind == .newline || after.kind == .end
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
        var isStatic = false
        while current.isOp("@") {
            let at = advance()
            if current.name == "staticmethod" && (peek().kind == .newline || peek().isOp(";")) {
                _ = advance()
                isStatic = true
                _ = advance()
                skipSeparators()
                if current.kind == .end { throw Incomplete() }
                continue
            }
            let head: ModeHead?
            if case .keyword = current.kind {
                head = try parseKeywordModeHead()
            } else {
                head = try parseCallModeHead()
            }
            guard let head else {
                throw GradError.syntax("unknown decorator: gradsh decorators are @no_grad, @enable_grad, @inference, @set_grad_enabled(b), their torch. forms and @staticmethod", at: at.location)
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
        let stmt = try parseDef(decorators: decorators)
        if isStatic, case .functionDef(let def) = stmt.kind { def.isStatic = true }
        return stmt
    }

    private mutating func parseName(_ what: String) throws -> String {
        if case .name(let n) = current.kind { _ = advance(); return n }
        // Block words are soft keywords: `def inference(model, x):` names a function.
        if case .keyword(let k) = current.kind, GradModeKind.keywords.contains(k) { _ = advance(); return k }
        if current.kind == .end && blockDepth > 0 { throw Incomplete() }
        throw unexpected(current, expected: what)
    }

    private mutating func parseDef(decorators: [ModeHead]) throws -> Stmt {
        let start = advance().location
        let name = try parseName("a function name")
        _ = try expect("(")
        var params: [(name: String, defaultValue: Expr?)] = []
        var varArgs: String? = nil, varKeywords: String? = nil
        if !accept(")") {
            repeat {
                if current.isOp(")") { break }
                let loc = current.location
                if varKeywords != nil { throw GradError.syntax("arguments cannot follow var-keyword argument", at: loc) }
                if current.isOp("**") || current.isOp("*") {
                    let stars = advance()
                    let p = try parseName("a parameter name")
                    if params.contains(where: { $0.name == p }) || p == varArgs {
                        throw GradError.syntax("duplicate argument '\(p)' in function definition", at: loc)
                    }
                    if stars.isOp("**") { varKeywords = p } else if varArgs == nil { varArgs = p } else {
                        throw GradError.syntax("* argument may appear only once", at: loc)
                    }
                    continue
                }
                if varArgs != nil { throw GradError.syntax("gradsh has no keyword-only parameters (after *args)", at: loc) }
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
        let savedLoops = loopDepth
        loopDepth = 0
        functionDepth += 1
        defer { loopDepth = savedLoops; functionDepth -= 1 }
        let body = try parseBlock(after: "def \(name)(...)", statement: "function definition", startedAt: start)
        let def = FunctionDef(name: name, parameters: params, decorators: decorators, body: body, location: start)
        def.varArgs = varArgs
        def.varKeywords = varKeywords
        return Stmt(.functionDef(def), start)
    }

    private mutating func parseFor() throws -> Stmt {
        let pythonHead = headEndsWithColon()
        let start = advance().location
        let targetExprs = try parseTargetList()
        guard current.isKeyword("in") else { throw unexpected(current, expected: "'in'") }
        _ = advance()
        let iterable = pythonHead ? try parseExpressionList() : try parseHeadExpression()
        loopDepth += 1
        defer { loopDepth -= 1 }
        let body = try parseBlock(after: "for ... in ...", statement: "'for' statement", startedAt: start)
        loopDepth -= 1
        defer { loopDepth += 1 }
        return Stmt(.forLoop(targetExprs, iterable, body, orElse: try parseLoopElse(pythonHead: pythonHead, headAt: start)), start)
    }

    private mutating func parseWhile() throws -> Stmt {
        let pythonHead = headEndsWithColon()
        let start = advance().location
        let condition = pythonHead ? try parseExpression() : try parseHeadExpression()
        loopDepth += 1
        defer { loopDepth -= 1 }
        let body = try parseBlock(after: "while ...", statement: "'while' statement", startedAt: start)
        loopDepth -= 1
        defer { loopDepth += 1 }
        return Stmt(.whileLoop(condition, body, orElse: try parseLoopElse(pythonHead: pythonHead, headAt: start)), start)
    }

    /// A Python loop's `else:` on the next line at the loop's indentation, if there is one.
    private mutating func parseLoopElse(pythonHead: Bool, headAt start: SourceLocation) throws -> [Stmt] {
        guard pythonHead else { return [] }
        try awaitNextLine(of: pythonHead ? "for ... in ..." : "", at: start)
        guard let at = clauseLine(indentOf: start, words: ["else"]) else { return [] }
        index = at
        let elseStart = advance().location
        guard current.isOp(":") else { throw unexpected(current, expected: "':' after else") }
        return try parseBlock(after: "else", statement: "'else' statement", startedAt: elseStart)
    }

    /// When the input ends right after a Python statement that a next line could continue
    /// (`else:` under `if x: y`), more lines may come: the chunk stays open.
    private mutating func awaitNextLine(of head: String, at start: SourceLocation) throws {
        guard !isFinal else { return }
        var look = index
        if tokens[look].kind == .newline { look += 1 }
        if look >= tokens.count - 1 && tokens[tokens.count - 1].kind == .end {
            openHeads.append(OpenHead(name: head, at: start, isSuite: true))
            throw Incomplete()
        }
    }

    /// `if c < ... > else < ... >`, or Python's `if c:` with `elif c:` and `else:` lines at
    /// the `if`'s indentation.
    private mutating func parseIf() throws -> Stmt {
        let pythonHead = headEndsWithColon()
        let ifIndex = index
        let start = advance().location
        let condition = pythonHead ? try parseExpression() : try parseHeadExpression()
        let body = try parseBlock(after: "if ...", statement: "'if' statement", startedAt: start)
        var elseBody: [Stmt]? = nil
        if pythonHead {
            // The next line continues the statement when it is `elif`/`else` at the if's indentation.
            try awaitNextLine(of: "if ...", at: start)
            if let look = clauseLine(indentOf: tokens[ifIndex].location, words: ["else", "elif"]) {
                index = look
                if current.kind == .name("elif") {
                    elseBody = [try parseIf()]
                } else {
                    let elseStart = advance().location
                    guard current.isOp(":") else { throw unexpected(current, expected: "':' after else") }
                    elseBody = try parseBlock(after: "else", statement: "'else' statement", startedAt: elseStart)
                }
            }
        } else if current.isKeyword("else") {
            _ = advance()
            if current.isKeyword("if") {
                elseBody = [try parseIf()]
            } else {
                elseBody = try parseBlock(after: "else")
            }
        }
        return Stmt(.ifElse(condition, body, elseBody), start)
    }

    /// `class Name(Base, ...):` and its indented body (or `< ... >`).
    private mutating func parseClass() throws -> Stmt {
        let start = advance().location
        let name = try parseName("a class name")
        var bases: [Expr] = []
        if accept("(") {
            bases = try bracketed { p in
                var list: [Expr] = []
                while !p.current.isOp(")") {
                    list.append(try p.parseExpression())
                    if !p.accept(",") { break }
                }
                _ = try p.expect(")")
                return list
            }
        }
        let savedLoops = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoops }
        let body = try parseBlock(after: "class \(name)", statement: "class definition", startedAt: start)
        return Stmt(.classDef(ClassDef(name: name, bases: bases, body: body, location: start)), start)
    }

    /// `try:` with `except [TYPES [as NAME]]:` blocks, `else:` and `finally:`, each on a
    /// line at the try's indentation.
    private mutating func parseTry() throws -> Stmt {
        let start = advance().location
        let body = try parseBlock(after: "try", statement: "'try' statement", startedAt: start)
        var handlers: [ExceptHandler] = []
        var orElse: [Stmt] = []
        var finally: [Stmt] = []
        while true {
            try awaitNextLine(of: "try", at: start)
            guard let look = clauseLine(indentOf: start, words: ["except", "else", "finally"]) else { break }
            index = look
            let word = current.name ?? (current.isKeyword("else") ? "else" : "")
            let clauseStart = advance().location
            switch word {
            case "except":
                guard finally.isEmpty, orElse.isEmpty else { throw GradError.syntax("invalid syntax: 'except' after 'else' or 'finally'", at: clauseStart) }
                var types: Expr? = nil
                var name: String? = nil
                if !current.isOp(":") {
                    types = try parseExpression()
                    if current.name == "as" { _ = advance(); name = try parseName("a name after 'as'") }
                }
                guard current.isOp(":") else { throw unexpected(current, expected: "':'") }
                handlers.append(ExceptHandler(types: types, name: name, body: try parseBlock(after: "except", statement: "'except' statement", startedAt: clauseStart), location: clauseStart))
            case "else":
                guard !handlers.isEmpty, finally.isEmpty else { throw GradError.syntax("invalid syntax: 'else' needs an 'except' before it", at: clauseStart) }
                orElse = try parseBlock(after: "else", statement: "'else' statement", startedAt: clauseStart)
            default:
                finally = try parseBlock(after: "finally", statement: "'finally' statement", startedAt: clauseStart)
            }
            if !finally.isEmpty { break }
        }
        guard !handlers.isEmpty || !finally.isEmpty else {
            throw GradError.syntax("expected 'except' or 'finally' block", at: current.location)
        }
        return Stmt(.tryStmt(body: body, handlers: handlers, orElse: orElse, finally: finally), start)
    }

    /// Where a clause continuing a Python statement (`except`, `else`, `finally`) begins:
    /// the next line, at the indentation of the line of `start`, starting with one of `words`.
    private func clauseLine(indentOf start: SourceLocation, words: Set<String>) -> Int? {
        var look = index
        if tokens[look].kind == .newline { look += 1 }
        guard look < tokens.count else { return nil }
        let next = tokens[look]
        let word = next.name ?? (next.isKeyword("else") ? "else" : "")
        guard words.contains(word) else { return nil }
        var headIndex = index
        while headIndex > 0 && tokens[headIndex].location > start { headIndex -= 1 }
        let indent = indentOfLine(at: headIndex)
        return (next.lineIndent ?? indent) == indent ? look : nil
    }

    /// `with torch.no_grad():`, `with torch.set_grad_enabled(b), torch.enable_grad():`:
    /// grad-mode blocks, nested in the order written; any other value is checked when the
    /// statement runs.
    private mutating func parseWith() throws -> Stmt {
        let start = advance().location
        var items: [(head: ModeHead?, value: Expr, spelling: String)] = []
        repeat {
            let itemStart = index
            let value = try parseExpression()
            let spelling = Parser.sourceText(tokens[itemStart..<index])
            var head: ModeHead? = nil
            let after = index
            index = itemStart
            if var known = try? parseCallModeHead(), index == after {
                known.spelling = "with " + spelling
                head = known
            }
            index = after
            if current.name == "as" {
                throw GradError.syntax("gradsh's with statement takes grad-mode objects only; 'as' binds nothing here", at: current.location)
            }
            items.append((head, value, spelling))
        } while accept(",")
        guard current.isOp(":") else {
            if current.kind == .end { throw Incomplete(head: ("with", current.location)) }
            throw unexpected(current, expected: "':' to begin the with block")
        }
        let name = items.last?.head?.displayName ?? "with"
        var body = try parseBlock(after: name, statement: "'with' statement", startedAt: start)
        for item in items.reversed() {
            let stmt = item.head.map { Stmt(.modeBlock($0, body), start) } ?? Stmt(.withValue(item.value, spelling: item.spelling, body), start)
            body = [stmt]
        }
        return body[0]
    }

    /// `import torch`, `import torch.nn as nn`, `from torch import nn, optim`,
    /// `from torch.utils.data import (DataLoader, TensorDataset)`.
    private mutating func parseImport() throws -> Stmt {
        let start = current.location
        let isFrom = current.name == "from"
        _ = advance()
        func dotted() throws -> String {
            var parts = [try parseName("a module name")]
            while accept(".") { parts.append(try parseName("a module name")) }
            return parts.joined(separator: ".")
        }
        func alias() throws -> String? {
            guard current.name == "as" else { return nil }
            _ = advance()
            return try parseName("a name after 'as'")
        }
        var bindings: [ImportBinding] = []
        if isFrom {
            let module = try dotted()
            guard current.name == "import" else { throw unexpected(current, expected: "'import'") }
            _ = advance()
            if current.isOp("*") {
                throw GradError.syntax("gradsh does not import '*': name what you use (from \(module) import a, b)", at: current.location)
            }
            let parenthesized = accept("(")
            repeat {
                if parenthesized && current.isOp(")") { break }
                let loc = current.location
                let member = try parseName("a name to import")
                let name = try alias()
                bindings.append(ImportBinding(name: name ?? member, module: module, member: member, aliased: name != nil, location: loc))
            } while accept(",")
            if parenthesized { _ = try expect(")") }
        } else {
            repeat {
                let loc = current.location
                let module = try dotted()
                // `import torch.nn` binds `torch`, as in Python; with `as`, the module itself.
                if let name = try alias() {
                    bindings.append(ImportBinding(name: name, module: module, member: nil, aliased: true, location: loc))
                } else {
                    let top = String(module.split(separator: ".")[0])
                    bindings.append(ImportBinding(name: top, module: module, member: nil, location: loc))
                }
            } while accept(",")
        }
        return Stmt(.importNames(bindings), start)
    }

    /// Tokens as the source wrote them, near enough for a message: `torch.no_grad()`.
    static func sourceText(_ slice: ArraySlice<Token>) -> String {
        var out = ""
        for t in slice {
            let text: String
            switch t.kind {
            case .string(let s): text = "'" + s + "'"
            default: text = spelling(t)
            }
            out += text + (t.isOp(",") ? " " : "")
        }
        return out
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
            if current.isOp("*") {
                let loc = advance().location
                targets.append(.starred(try target(from: try parsePostfix()), loc))
                continue
            }
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
        case .tuple(let items), .list(let items):
            let targets = try items.map { try target(from: $0) }
            if targets.filter({ if case .starred = $0 { return true } else { return false } }).count > 1 {
                throw GradError.syntax("multiple starred expressions in assignment", at: e.location)
            }
            return .tuple(targets, e.location)
        case .starred(let inner): return .starred(try target(from: inner), e.location)
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
        let first = try parseItem()
        guard current.isOp(",") else {
            if case .starred = first.kind { throw GradError.syntax("can't use starred expression here", at: start) }
            return first
        }
        var items = [first]
        while accept(",") {
            if !Parser.canStartOperand(current) && !current.isOp("*") { break }
            items.append(try parseItem())
        }
        return Expr(.tuple(items), start)
    }

    /// An item of a list, a tuple or an assignment target list: an expression or `*expr`.
    private mutating func parseItem() throws -> Expr {
        guard current.isOp("*") else { return try parseExpression() }
        let loc = advance().location
        return Expr(.starred(try parseBitOr()), loc)
    }

    mutating func parseExpression() throws -> Expr {
        if current.name == "lambda" && !Parser.isUsedAsVariable(peek()) { return try parseLambda() }
        return try nest { p in
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

    /// `lambda a, b=1: expr`
    private mutating func parseLambda() throws -> Expr {
        let start = advance().location
        var params: [(name: String, defaultValue: Expr?)] = []
        while !current.isOp(":") {
            let loc = current.location
            let p = try parseName("a parameter name or ':'")
            if params.contains(where: { $0.name == p }) {
                throw GradError.syntax("duplicate argument '\(p)' in function definition", at: loc)
            }
            var value: Expr? = nil
            if accept("=") { value = try parseExpression() } else if params.last?.defaultValue != nil {
                throw GradError.syntax("parameter without a default follows parameter with a default", at: loc)
            }
            params.append((p, value))
            if !accept(",") { break }
        }
        _ = try expect(":", "':' after the lambda's parameters")
        let body = try parseExpression()
        let def = FunctionDef(name: "<lambda>", parameters: params, decorators: [], body: [Stmt(.returnStmt(body), body.location)], location: start)
        return Expr(.lambda(def), start)
    }

    /// The `for ... in ... if ...` clauses after a comprehension's element.
    private mutating func parseComprehensionClauses() throws -> [ComprehensionClause] {
        var clauses: [ComprehensionClause] = []
        while current.isKeyword("for") {
            _ = advance()
            let target = try parseTargetList()
            guard current.isKeyword("in") else { throw unexpected(current, expected: "'in'") }
            _ = advance()
            clauses.append(.loop(target, try parseOr()))
            while current.isKeyword("if") {
                _ = advance()
                clauses.append(.filter(try parseOr()))
            }
        }
        return clauses
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
                if p.current.isOp("*") || p.current.isOp("**") {
                    let spread = p.advance().isOp("**") ? 2 : 1
                    if spread == 1 && sawKeyword && args.contains(where: { $0.spread == 2 }) {
                        throw GradError.syntax("iterable argument unpacking follows keyword argument unpacking", at: p.current.location)
                    }
                    args.append(Argument(label: nil, value: try p.parseExpression(), spread: spread))
                    if spread == 2 { sawKeyword = true }
                    if !p.accept(",") {
                        if p.current.isOp(")") { break }
                        throw p.missingComma(closing: ")")
                    }
                    continue
                }
                if case .name(let n) = p.current.kind, p.peek().isOp("=") {
                    _ = p.advance(); _ = p.advance()
                    if args.contains(where: { $0.label == n }) {
                        throw GradError.syntax("keyword argument repeated: \(n)", at: p.current.location)
                    }
                    args.append(Argument(label: n, value: try p.parseExpression()))
                    sawKeyword = true
                } else {
                    let loc = p.current.location
                    var value = try p.parseExpression()
                    if sawKeyword {
                        throw GradError.syntax("positional argument follows keyword argument", at: loc)
                    }
                    // `sum(x * x for x in xs)`: a generator as the only argument.
                    if p.current.isKeyword("for") {
                        value = Expr(.comprehension(element: value, value: nil, clauses: try p.parseComprehensionClauses()), loc)
                        guard args.isEmpty && p.current.isOp(")") else {
                            throw GradError.syntax("Generator expression must be parenthesized", at: loc)
                        }
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

    /// The expression inside an f-string's `{...}`, located where it is in the line.
    private static func fieldExpression(_ source: String, at location: SourceLocation) throws -> Expr {
        var lexer = Lexer(source, firstLine: location.line, firstColumn: location.column)
        switch lexer.tokenize() {
        case .incomplete(let unfinished): throw GradError.syntax("f-string: \(unfinished.message)", at: unfinished.location)
        case .failure(let e): throw e
        case .tokens(let tokens):
            var parser = Parser(tokens: tokens)
            let e = try parser.bracketed { p in try p.parseExpressionList() }
            parser.skipSeparators()
            guard parser.current.kind == .end else { throw parser.unexpected(parser.current) }
            return e
        }
    }

    private mutating func parsePrimary() throws -> Expr {
        let t = current
        switch t.kind {
        case .int(let i): _ = advance(); return Expr(.intLiteral(i), t.location)
        case .float(let d): _ = advance(); return Expr(.floatLiteral(d), t.location)
        case .string, .formatted:
            // Adjacent literals join, as in Python; with an f-string among them, the whole is one.
            var parts: [FormattedPart] = []
            var isFormatted = false
            while true {
                if case .string(let text) = current.kind {
                    parts.append(.text(text))
                } else if case .formatted(let pieces) = current.kind {
                    isFormatted = true
                    for piece in pieces {
                        switch piece {
                        case .text(let text): parts.append(.text(text))
                        case .field(let source, let at, let conversion, let spec, let echo):
                            if let echo { parts.append(.text(echo)) }
                            parts.append(.field(try Parser.fieldExpression(source, at: at), conversion: conversion, spec: spec))
                        }
                    }
                } else {
                    break
                }
                _ = advance()
            }
            if isFormatted {
                var merged: [FormattedPart] = []
                for part in parts {
                    if case .text(let b) = part, case .text(let a)? = merged.last { merged[merged.count - 1] = .text(a + b) } else { merged.append(part) }
                }
                return Expr(.formatted(merged), t.location)
            }
            let text = parts.map { if case .text(let s) = $0 { return s } else { return "" } }.joined()
            return Expr(.stringLiteral(text), t.location)
        case .keyword("True"): _ = advance(); return Expr(.boolLiteral(true), t.location)
        case .keyword("False"): _ = advance(); return Expr(.boolLiteral(false), t.location)
        case .keyword("None"): _ = advance(); return Expr(.noneLiteral, t.location)
        case .name(let n): _ = advance(); return Expr(.name(n), t.location)
        case .op("("):
            _ = advance()
            return try bracketed { p in
                if p.accept(")") { return Expr(.tuple([]), t.location) }
                let first = try p.parseItem()
                if p.accept(")") { return first }
                if p.current.isKeyword("for") {
                    let clauses = try p.parseComprehensionClauses()
                    _ = try p.expect(")")
                    return Expr(.comprehension(element: first, value: nil, clauses: clauses), t.location)
                }
                guard p.current.isOp(",") else { throw p.missingComma(closing: ")") }
                var items = [first]
                while p.accept(",") {
                    if p.current.isOp(")") { break }
                    items.append(try p.parseItem())
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
                    items.append(try p.parseItem())
                    if items.count == 1 && p.current.isKeyword("for") {
                        let clauses = try p.parseComprehensionClauses()
                        _ = try p.expect("]")
                        return Expr(.comprehension(element: items[0], value: nil, clauses: clauses), t.location)
                    }
                    if !p.accept(",") {
                        if p.current.isOp("]") { break }
                        throw p.missingComma(closing: "]")
                    }
                }
                _ = p.advance()
                return Expr(.list(items), t.location)
            }
        case .op("{"):
            _ = advance()
            return try bracketed { p in
                var pairs: [(key: Expr, value: Expr)] = []
                while !p.current.isOp("}") {
                    let key = try p.parseExpression()
                    guard p.accept(":") else {
                        throw GradError.syntax("gradsh has no sets: write a list [...] or a dict {key: value}", at: key.location)
                    }
                    let value = try p.parseExpression()
                    if pairs.isEmpty && p.current.isKeyword("for") {
                        let clauses = try p.parseComprehensionClauses()
                        _ = try p.expect("}")
                        return Expr(.comprehension(element: key, value: value, clauses: clauses), t.location)
                    }
                    pairs.append((key, value))
                    if !p.accept(",") {
                        if p.current.isOp("}") { break }
                        throw p.missingComma(closing: "}")
                    }
                }
                _ = p.advance()
                return Expr(.dict(pairs), t.location)
            }
        case .end:
            if blockDepth > 0 { throw Incomplete() }
            throw GradError.syntax("invalid syntax: the statement ends too early", at: t.location)
        case .newline:
            throw GradError.syntax("invalid syntax: the line ends too early", at: t.location)
        case .keyword(let k) where GradModeKind(name: k) != nil:
            // Not heading a block, a block word is a name: the mode object (`no_grad()(f)`)
            // unless the session bound the name to something else (`def inference(...)`).
            _ = advance()
            return Expr(.name(k), t.location)
        case .op("..."):
            throw GradError.syntax("'...' can only be used inside an index", at: t.location)
        default:
            throw unexpected(t)
        }
    }
}
