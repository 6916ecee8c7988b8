import Foundation

/// What `:set` changes about how the shell explains things (how tensors print is
/// `PrintOptions`, shared with `torch.set_printoptions`).
package final class DisplaySettings {
    package enum Wide: String { case on, off, auto }
    package enum Explain: String { case short, long }

    /// `on`: lines as long as they come; `off` (projector mode): explanations, errors and
    /// hints wrapped at word boundaries to the terminal's width (80 columns when it is not
    /// known); `auto`: wrapped on a terminal, never in a file or pipe.
    package var wide: Wide = .auto
    /// `short`: graph lines and `:why` in a few words; `long`: the whole story.
    package var explain: Explain = .long

    package init() {}

    /// The width to wrap explanations at, or nil for no wrapping.
    var wrapWidth: Int? {
        switch wide {
        case .on: return nil
        case .off: return TerminalSize.columns ?? 80
        case .auto: return isatty(STDOUT_FILENO) != 0 ? TerminalSize.columns : nil
        }
    }
}

/// Word wrapping for explanations: breaks at spaces, never inside a word; a word longer
/// than the line gets a line of its own.
package enum Wrap {
    /// `text` wrapped to `width` columns; lines after the first start with `indent`;
    /// `taken` columns of the first line are already used by what precedes the text.
    package static func lines(_ text: String, width: Int, indent: String, taken: Int = 0) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { i, paragraph in
            wrapOne(String(paragraph), width: Swift.max(20, width), indent: indent, taken: i == 0 ? taken : 0)
        }.joined(separator: "\n")
    }

    private static func wrapOne(_ line: String, width: Int, indent: String, taken: Int) -> String {
        guard taken + line.count > width else { return line }
        var out: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            let used = out.isEmpty ? taken : 0
            let prefix = out.isEmpty ? "" : indent
            if current.isEmpty {
                current = prefix + word
            } else if used + current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                out.append(current)
                current = indent + word
            }
        }
        out.append(current)
        return out.joined(separator: "\n")
    }
}
