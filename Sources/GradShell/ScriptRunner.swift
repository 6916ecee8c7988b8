import Foundation
import GradCore
import GradLang

/// Runs a script (a file, standard input or `-c` code) through a session, rendering each
/// event as it happens. No prompts, no banner.
public struct ScriptRunner {
    public let renderer: Renderer
    public let bail: Bool

    public init(renderer: Renderer, bail: Bool) {
        self.renderer = renderer
        self.bail = bail
    }

    /// Feeds lines from `next` until it returns nil; returns the number of failed statements.
    @discardableResult
    public func run(session: Session, lines next: () -> String?) -> Int {
        var stop = false
        let handle: (SessionEvent) -> Void = { event in
            if case .command(let line, let text) = event {
                renderer.render(.error(line: line, GradError.syntax("the command '\(text)' is not available in this version of gradsh", at: SourceLocation(line: line, column: 1))), session: session)
            } else {
                renderer.render(event, session: session)
            }
            if case .error = event, bail { stop = true }
        }
        while !stop, let line = next() {
            session.feed(line, emit: handle)
        }
        if !stop { session.finish(emit: handle) }
        return renderer.errorCount
    }

    /// Lines of a whole text.
    public static func lines(of text: String) -> () -> String? {
        var body = text
        if body.hasSuffix("\n") { body.removeLast() }
        var parts = body.isEmpty && text.isEmpty ? [] : body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        parts.reverse()
        return {
            guard var line = parts.popLast() else { return nil }
            if line.hasSuffix("\r") { line.removeLast() }
            return line
        }
    }
}
