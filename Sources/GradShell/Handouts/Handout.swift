import Foundation

/// A transcript written as a handout: Markdown, or one self-contained HTML page with the
/// graph pictures inline (SVG from Graphviz when it is installed, else the terminal drawing).
enum Handout {
    enum Format {
        case markdown, html

        /// `.html`/`.htm` files are HTML; everything else is Markdown.
        init(fileName: String) {
            let ext = URL(fileURLWithPath: fileName).pathExtension.lowercased()
            self = ext == "html" || ext == "htm" ? .html : .markdown
        }
    }

    static func write(_ transcript: Transcript, as format: Format) -> String {
        switch format {
        case .markdown: return markdown(transcript)
        case .html: return html(transcript)
        }
    }

    /// Runs of entries of one kind, so consecutive code lines make one code block.
    enum Part {
        case prose([String])
        case code([String])
        case output([Transcript.Entry])
        case picture(drawing: String, dot: String)
    }

    static func parts(_ transcript: Transcript) -> [Part] {
        var parts: [Part] = []
        for entry in transcript.entries {
            switch entry {
            case .narrative(let line):
                let text = proseLine(line)
                if case .prose(var lines)? = parts.last { lines.append(text); parts[parts.count - 1] = .prose(lines) }
                else { parts.append(.prose([text])) }
            case .input(let line):
                if case .code(var lines)? = parts.last { lines.append(line); parts[parts.count - 1] = .code(lines) }
                else if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                else { parts.append(.code([line])) }
            case .picture(let drawing, let dot):
                parts.append(.picture(drawing: drawing, dot: dot))
            case .result, .printed, .warning, .error:
                if case .output(var entries)? = parts.last { entries.append(entry); parts[parts.count - 1] = .output(entries) }
                else { parts.append(.output([entry])) }
            }
        }
        // Blank lines that ended a code run belong to no block.
        return parts.map { part in
            guard case .code(var lines) = part else { return part }
            while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
            return .code(lines)
        }
    }

    /// A comment line of a lesson as prose: `# text` is `text`, `#` alone a paragraph break.
    static func proseLine(_ line: String) -> String {
        var text = line.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("#") { text.removeFirst() }
        if text.hasPrefix(" ") { text.removeFirst() }
        return text
    }

    /// The handout's title: the first line of the story (a lesson's summary), if any.
    static func title(_ parts: [Part]) -> String {
        for part in parts {
            if case .prose(let lines) = part, let first = lines.first(where: { !$0.isEmpty }) { return first }
        }
        return "gradsh session"
    }

    /// The parts without the title's own line, which the heading shows.
    static func withoutTitle(_ parts: [Part], _ heading: String) -> [Part] {
        var parts = parts
        if let i = parts.firstIndex(where: { if case .prose = $0 { return true } else { return false } }),
           case .prose(var lines) = parts[i], let at = lines.firstIndex(of: heading) {
            lines.removeFirst(at + 1)
            parts[i] = .prose(lines)
        }
        return parts
    }

    static func outputText(_ entry: Transcript.Entry) -> String {
        switch entry {
        case .result(let s), .printed(let s), .error(let s): return s.hasSuffix("\n") ? String(s.dropLast()) : s
        case .warning(let s): return "warning: " + (s.hasSuffix("\n") ? String(s.dropLast()) : s)
        default: return ""
        }
    }

    // MARK: Markdown

    static func markdown(_ transcript: Transcript) -> String {
        let all = parts(transcript)
        let heading = title(all)
        let parts = withoutTitle(all, heading)
        var out = "# \(heading)\n"
        if transcript.droppedCount > 0 { out += "\n_(the first \(transcript.droppedCount) entries of this long session were dropped)_\n" }
        for part in parts {
            switch part {
            case .prose(let lines):
                let text = lines.joined(separator: "\n").trimmingCharacters(in: .newlines)
                if !text.isEmpty { out += "\n" + text + "\n" }
            case .code(let lines):
                out += "\n" + fenced(lines.joined(separator: "\n"), language: "python")
            case .output(let entries):
                out += "\n" + fenced(entries.map(outputText).joined(separator: "\n"), language: "text")
            case .picture(let drawing, _):
                out += "\n" + fenced(drawing, language: "text")
            }
        }
        return out
    }

    /// A fenced block whose fence is longer than any backtick run inside it.
    static func fenced(_ text: String, language: String) -> String {
        var fence = "```"
        while text.contains(fence) { fence += "`" }
        return "\(fence)\(language)\n\(text)\n\(fence)\n"
    }

    // MARK: HTML

    static func html(_ transcript: Transcript) -> String {
        let all = parts(transcript)
        let heading = title(all)
        let parts = withoutTitle(all, heading)
        var body = ""
        if transcript.droppedCount > 0 { body += "<p class=\"note\">The first \(transcript.droppedCount) entries of this long session were dropped.</p>\n" }
        for part in parts {
            switch part {
            case .prose(let lines):
                for paragraph in lines.split(separator: "", omittingEmptySubsequences: true) {
                    body += "<p>" + escape(paragraph.joined(separator: "\n")) + "</p>\n"
                }
            case .code(let lines):
                body += "<pre class=\"code\">" + escape(lines.joined(separator: "\n")) + "</pre>\n"
            case .output(let entries):
                body += "<div class=\"output\">\n"
                for entry in entries { body += outputHTML(entry) }
                body += "</div>\n"
            case .picture(let drawing, let dot):
                body += "<figure class=\"graph\">"
                if case .success(let svg) = Graphviz.render(dot, format: "svg") {
                    body += inlineSVG(String(decoding: svg, as: UTF8.self))
                } else {
                    body += "<pre class=\"drawing\">" + escape(drawing) + "</pre>"
                }
                body += "</figure>\n"
            }
        }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(heading))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <h1>\(escape(heading))</h1>
        \(body)</body>
        </html>

        """
    }

    private static func outputHTML(_ entry: Transcript.Entry) -> String {
        switch entry {
        case .result(let text):
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
            return lines.map { line in
                let graphLine = line.hasPrefix("# ")
                let kind = !graphLine ? "value" : line.hasPrefix("# graph:") ? "graph has" : line.hasPrefix("# leaf") ? "graph leaf" : "graph none"
                return "<pre class=\"\(kind)\">" + escape(line) + "</pre>\n"
            }.joined()
        case .printed(let text): return "<pre class=\"printed\">" + escape(outputText(.printed(text))) + "</pre>\n"
        case .warning: return "<pre class=\"warning\">" + escape(outputText(entry)) + "</pre>\n"
        case .error(let text): return "<pre class=\"error\">" + escape(outputText(.error(text))) + "</pre>\n"
        default: return ""
        }
    }

    /// Graphviz's SVG without its XML prolog and doctype, so it can sit inside the page.
    static func inlineSVG(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return "" }
        return String(svg[start.lowerBound...])
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Readable printed and on a projector: dark text on light, code set apart, errors red.
    static let style = """
    body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; background: #fff; line-height: 1.45; }
    h1 { font-size: 1.5rem; }
    pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9rem; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
    pre.code { background: #f2f4f8; border-left: 4px solid #3465a4; padding: 0.5rem 0.75rem; margin-top: 1rem; }
    div.output { padding: 0.4rem 0.75rem 0.4rem 1rem; border-left: 4px solid #d0d0d0; }
    pre.graph.has { color: #1e6b1e; }
    pre.graph.leaf { color: #0b6a7a; }
    pre.graph.none { color: #666; }
    pre.printed { color: #1b1b1b; }
    pre.warning { color: #8a5a00; }
    pre.error { color: #a40000; background: #fdf0f0; padding: 0.25rem 0.5rem; }
    figure.graph { margin: 1rem 0; overflow-x: auto; }
    figure.graph svg { max-width: 100%; height: auto; }
    pre.drawing { line-height: 1.15; }
    p.note { color: #666; font-style: italic; }
    """
}
