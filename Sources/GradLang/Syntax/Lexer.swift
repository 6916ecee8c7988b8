import Foundation

/// Turns source text into tokens. Newlines inside `(` `)` and `[` `]` are not statement ends;
/// `<` and `>` are plain operators here: the parser decides which ones open and close blocks.
package struct Lexer {
    /// The result of lexing: tokens, or what went wrong.
    package enum Outcome {
        case tokens([Token])
        /// An open bracket or string at the end: more lines are coming.
        case incomplete(Unfinished)
        case failure(GradError)
    }

    private let chars: [Character]
    private var pos = 0
    private var line: Int
    private var column = 1
    private var brackets: [(Character, SourceLocation)] = []

    /// Longest operators first so `**=` is not read as `**` then `=`.
    private static let operators: [String] = [
        "...", "**=", "//=", "**", "//", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "@=", "->",
        "+", "-", "*", "/", "%", "@", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "~", "&", "|", "^", "!",
    ]

    package init(_ source: String, firstLine: Int = 1, firstColumn: Int = 1) {
        chars = Array(source)
        line = firstLine
        column = firstColumn
    }

    private var location: SourceLocation { SourceLocation(line: line, column: column) }

    private mutating func advance() {
        if chars[pos] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        pos += 1
    }

    /// Where the current physical line starts, and whether the next token begins a
    /// logical line (so it gets the line's indentation).
    private var lineStart = 0
    private var startsLine = true

    /// The indentation before `pos` on its line: a tab advances to the next multiple of 8.
    private func indentWidth(upTo end: Int) -> Int {
        var width = 0
        for i in lineStart..<end {
            switch chars[i] {
            case "\t": width = (width / 8 + 1) * 8
            case "\u{0C}": width = 0
            default: width += 1
            }
        }
        return width
    }

    package mutating func tokenize() -> Outcome {
        var tokens: [Token] = []
        while pos < chars.count {
            let c = chars[pos]
            let start = location
            let startPos = pos
            let tokensBefore = tokens.count
            defer {
                if startsLine && tokens.count > tokensBefore && tokens[tokensBefore].kind != .newline {
                    tokens[tokensBefore].lineIndent = indentWidth(upTo: startPos)
                    startsLine = false
                }
            }
            if c == "\n" {
                advance()
                lineStart = pos
                if brackets.isEmpty {
                    startsLine = true
                    if let last = tokens.last, last.kind != .newline { tokens.append(Token(kind: .newline, location: start)) }
                }
                continue
            }
            if c == " " || c == "\t" || c == "\r" || c == "\u{0C}" { advance(); continue }
            if c == "\\" && pos + 1 < chars.count && chars[pos + 1] == "\n" { advance(); advance(); lineStart = pos; continue }
            if c == "#" {
                while pos < chars.count && chars[pos] != "\n" { advance() }
                continue
            }
            if c.isLetter && c.isASCII || c == "_" {
                var s = ""
                while pos < chars.count, chars[pos].isASCII, chars[pos].isLetter || chars[pos].isNumber || chars[pos] == "_" {
                    s.append(chars[pos])
                    advance()
                }
                // r"...", f"...", rf"...", b"...": a prefix glued to a quote.
                if pos < chars.count, chars[pos] == "\"" || chars[pos] == "'", s.count <= 2,
                   Set(s.lowercased()).isSubset(of: ["r", "f", "b", "u"]), Set(s.lowercased()).count == s.count {
                    let prefix = s.lowercased()
                    switch string(quote: chars[pos], at: start, raw: prefix.contains("r"), formatted: prefix.contains("f")) {
                    case .success(let t): tokens.append(t)
                    case .failure(let e): return .failure(e)
                    case .none: return .incomplete(.string(at: start))
                    }
                    continue
                }
                tokens.append(Token(kind: Token.keywords.contains(s) ? .keyword(s) : .name(s), location: start))
                continue
            }
            if c.isASCII && c.isNumber || (c == "." && pos + 1 < chars.count && chars[pos + 1].isASCII && chars[pos + 1].isNumber) {
                switch number(at: start) {
                case .success(let t): tokens.append(t)
                case .failure(let e): return .failure(e)
                }
                continue
            }
            if c == "\"" || c == "'" {
                switch string(quote: c, at: start) {
                case .success(let t): tokens.append(t)
                case .failure(let e): return .failure(e)
                case .none: return .incomplete(.string(at: start))
                }
                continue
            }
            if let op = Lexer.operators.first(where: { matches($0) }) {
                for _ in op { advance() }
                switch op {
                case "(", "[", "{":
                    brackets.append((op.first!, start))
                case ")", "]", "}":
                    let open: Character = op == ")" ? "(" : op == "]" ? "[" : "{"
                    guard let last = brackets.last else {
                        return .failure(.syntax("unmatched '\(op)'", at: start))
                    }
                    if last.0 != open {
                        return .failure(.syntax("closing parenthesis '\(op)' does not match opening parenthesis '\(last.0)' on line \(last.1.line)", at: start))
                    }
                    brackets.removeLast()
                default: break
                }
                tokens.append(Token(kind: .op(op), location: start))
                continue
            }
            if c == "\0" {
                return .failure(.syntax("source code cannot contain null bytes", at: start))
            }
            let shown = c.unicodeScalars.first.map { $0.value < 32 || $0.value == 127 ? String(format: "U+%04X", $0.value) : String(c) } ?? String(c)
            return .failure(.syntax("invalid character '\(shown)' in the input", at: start))
        }
        if let open = brackets.last { return .incomplete(.bracket(open.0, at: open.1)) }
        if let last = tokens.last, last.kind != .newline { tokens.append(Token(kind: .newline, location: location)) }
        tokens.append(Token(kind: .end, location: location))
        return .tokens(tokens)
    }

    private func matches(_ op: String) -> Bool {
        var i = pos
        for ch in op {
            guard i < chars.count, chars[i] == ch else { return false }
            i += 1
        }
        return true
    }

    private enum Lexed {
        case success(Token)
        case failure(GradError)
    }

    private mutating func number(at start: SourceLocation) -> Lexed {
        var s = ""
        var isFloat = false
        func digits() { while pos < chars.count, chars[pos].isASCII, chars[pos].isNumber || chars[pos] == "_" { if chars[pos] != "_" { s.append(chars[pos]) }; advance() } }
        if chars[pos] == "0", pos + 1 < chars.count, let radix = ["x": 16, "o": 8, "b": 2][chars[pos + 1].lowercased()] {
            return radixNumber(radix, at: start)
        }
        digits()
        if pos < chars.count && chars[pos] == "." && !(pos + 2 < chars.count && chars[pos + 1] == "." && chars[pos + 2] == ".") {
            isFloat = true
            s.append(".")
            advance()
            digits()
        }
        if pos < chars.count && (chars[pos] == "e" || chars[pos] == "E") {
            var look = pos + 1
            if look < chars.count && (chars[look] == "+" || chars[look] == "-") { look += 1 }
            if look < chars.count && chars[look].isASCII && chars[look].isNumber {
                isFloat = true
                s.append("e")
                advance()
                if chars[pos] == "+" || chars[pos] == "-" { s.append(chars[pos]); advance() }
                digits()
            }
        }
        if pos < chars.count, chars[pos].isLetter || chars[pos] == "_" {
            return .failure(.syntax("invalid decimal literal", at: start))
        }
        if isFloat {
            guard let d = Double(s.hasPrefix(".") ? "0" + s : s) else { return .failure(.syntax("invalid number '\(s)'", at: start)) }
            return .success(Token(kind: .float(d), location: start))
        }
        guard let i = Int64(s) else {
            return .failure(GradError("OverflowError", "integer literal \(s) is too large (gradsh integers are 64-bit)", at: start))
        }
        return .success(Token(kind: .int(i), location: start))
    }

    /// `0x1F`, `0o17`, `0b101` (underscores allowed between digits), as Python reads them.
    private mutating func radixNumber(_ radix: Int, at start: SourceLocation) -> Lexed {
        advance(); advance()
        let name = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary"
        var s = ""
        while pos < chars.count, chars[pos].isASCII, chars[pos].isLetter || chars[pos].isNumber || chars[pos] == "_" {
            if chars[pos] != "_" { s.append(chars[pos]) }
            advance()
        }
        guard !s.isEmpty, s.allSatisfy({ $0.hexDigitValue.map { $0 < radix } ?? false }) else {
            return .failure(.syntax("invalid \(name) literal", at: start))
        }
        guard let i = Int64(s, radix: radix) else {
            return .failure(GradError("OverflowError", "integer literal 0\(radix == 16 ? "x" : radix == 8 ? "o" : "b")\(s) is too large (gradsh integers are 64-bit)", at: start))
        }
        return .success(Token(kind: .int(i), location: start))
    }

    /// A string literal (`'...'`, `"..."`, triple-quoted, raw, or an f-string); nil when
    /// the input ends inside it and more lines may complete it.
    private mutating func string(quote: Character, at start: SourceLocation, raw: Bool = false, formatted: Bool = false) -> Lexed? {
        let triple = pos + 2 < chars.count && chars[pos + 1] == quote && chars[pos + 2] == quote
        for _ in 0..<(triple ? 3 : 1) { advance() }
        var s = ""
        var pieces: [FormattedPiece] = []
        while pos < chars.count {
            let c = chars[pos]
            if c == quote && (!triple || (pos + 2 < chars.count && chars[pos + 1] == quote && chars[pos + 2] == quote)) {
                for _ in 0..<(triple ? 3 : 1) { advance() }
                guard formatted else { return .success(Token(kind: .string(s), location: start)) }
                if !s.isEmpty { pieces.append(.text(s)) }
                return .success(Token(kind: .formatted(pieces), location: start))
            }
            // As in Python, a quoted string ends on its line (a backslash continues it):
            // an unclosed quote is an error, not a reason to swallow the lines after it.
            if c == "\n" && !triple {
                return .failure(.syntax("unterminated string literal (detected at line \(start.line))", at: start))
            }
            if formatted && (c == "{" || c == "}") {
                if pos + 1 < chars.count && chars[pos + 1] == c {
                    s.append(c)
                    advance(); advance()
                    continue
                }
                guard c == "{" else { return .failure(.syntax("f-string: single '}' is not allowed", at: location)) }
                if !s.isEmpty { pieces.append(.text(s)); s = "" }
                switch formattedField(quote: quote) {
                case .success(let piece): pieces.append(piece)
                case .failure(let e): return .failure(e)
                }
                continue
            }
            if c == "\\" && pos + 1 < chars.count && raw {
                s.append(c)
                s.append(chars[pos + 1])
                advance(); advance()
                continue
            }
            if c == "\\" && pos + 1 < chars.count {
                advance()
                let e = chars[pos]
                switch e {
                case "n": s.append("\n")
                case "t": s.append("\t")
                case "r": s.append("\r")
                case "\\": s.append("\\")
                case "\"": s.append("\"")
                case "'": s.append("'")
                case "0": s.append("\0")
                case "\n": break
                case "x", "u":
                    // \xNN and \uNNNN, as in Python.
                    let width = e == "x" ? 2 : 4
                    var hex = ""
                    var look = pos + 1
                    while hex.count < width, look < chars.count, chars[look].isHexDigit {
                        hex.append(chars[look])
                        look += 1
                    }
                    guard hex.count == width, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        return .failure(.syntax("truncated \\\(e) escape in a string", at: location))
                    }
                    s.unicodeScalars.append(scalar)
                    for _ in 0..<width { advance() }
                default: s.append("\\"); s.append(e)
                }
                advance()
                continue
            }
            s.append(c)
            advance()
        }
        // A triple-quoted string, or a backslash at the very end, continues on the next line.
        if triple || chars.last == "\\" { return nil }
        return .failure(.syntax("unterminated string literal (detected at line \(start.line))", at: start))
    }

    /// `{expression!r:spec}` inside an f-string, from its `{` to its `}`.
    private mutating func formattedField(quote: Character) -> Result<FormattedPiece, GradError> {
        let open = location
        advance()
        let exprStart = location
        var source = ""
        var depth = 0
        var inner: Character? = nil
        while pos < chars.count {
            let c = chars[pos]
            if c == quote && inner == nil { break }
            if let q = inner {
                if c == q { inner = nil }
            } else if c == "'" || c == "\"" {
                inner = c
            } else if "([{".contains(c) {
                depth += 1
            } else if ")]}".contains(c) {
                if depth == 0 { break }
                depth -= 1
            } else if depth == 0 && (c == ":" || (c == "!" && !(pos + 1 < chars.count && chars[pos + 1] == "="))) {
                break
            }
            if c == "\n" { return .failure(.syntax("f-string: expressions cannot span lines here", at: open)) }
            source.append(c)
            advance()
        }
        guard !source.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .failure(.syntax("f-string: empty expression not allowed", at: open))
        }
        // `{x=}`: the expression's text, then its value (repr unless a spec or conversion says).
        var echo: String? = nil
        let trimmed = source.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        if trimmed.hasSuffix("="), !["==", "!=", "<=", ">="].contains(where: { trimmed.hasSuffix($0) }) {
            echo = source
            source = String(trimmed.dropLast())
        }
        var conversion: Character? = nil
        if pos < chars.count && chars[pos] == "!" {
            advance()
            guard pos < chars.count, "rsa".contains(chars[pos]) else {
                return .failure(.syntax("f-string: invalid conversion character: expected 's', 'r', or 'a'", at: location))
            }
            conversion = chars[pos]
            advance()
        }
        var spec = ""
        if pos < chars.count && chars[pos] == ":" {
            advance()
            while pos < chars.count, chars[pos] != "}", chars[pos] != quote, chars[pos] != "\n" {
                if chars[pos] == "{" { return .failure(.syntax("f-string: nested replacement fields in a format spec are not supported by gradsh", at: location)) }
                spec.append(chars[pos])
                advance()
            }
        }
        guard pos < chars.count, chars[pos] == "}" else {
            return .failure(.syntax("f-string: expecting '}'", at: open))
        }
        advance()
        if let echo {
            return .success(.field(source: source, location: exprStart, conversion: conversion ?? (spec.isEmpty ? "r" : nil), spec: spec, echo: echo))
        }
        return .success(.field(source: source, location: exprStart, conversion: conversion, spec: spec, echo: nil))
    }
}
