import Foundation

/// The two per-thread flags that decide whether ops record: grad and inference.
/// An op records iff `isGradEnabled && !isInferenceEnabled` and an input requires grad.
package struct GradMode: Equatable, Sendable {
    package var isGradEnabled: Bool
    package var isInferenceEnabled: Bool

    package static let initial = GradMode(isGradEnabled: true, isInferenceEnabled: false)

    /// True when operations may record a graph.
    package var isRecording: Bool { isGradEnabled && !isInferenceEnabled }
}

/// The grad-mode constructs, by the one name each has in gradsh (PyTorch's `inference_mode`
/// is gradsh's `inference`). Every spelling of a mode in the language, its messages and its
/// help comes from here.
package enum GradModeKind: String, CaseIterable, Sendable {
    case noGrad = "no_grad"
    case enableGrad = "enable_grad"
    case inference = "inference"
    case setGradEnabled = "set_grad_enabled"

    /// gradsh's block keyword (`no_grad < ... >`); set_grad_enabled is a call, not a keyword.
    package var keyword: String? { self == .setGradEnabled ? nil : rawValue }

    /// PyTorch's name for it: `torch.inference_mode`, `torch.no_grad`, ...
    package var torchName: String { self == .inference ? "inference_mode" : rawValue }

    /// The kind gradsh or PyTorch calls `name`.
    package init?(name: String) {
        if name == "inference_mode" { self = .inference } else { self.init(rawValue: name) }
    }

    package static var keywords: [String] { allCases.compactMap(\.keyword) }
}

/// A change of grad mode, as made by a mode block or a decorator.
package enum GradModeChange: Equatable, Sendable {
    case noGrad
    case enableGrad
    case setGradEnabled(Bool)
    /// `inference_mode(true)` turns grad off and inference on; `inference_mode(false)`
    /// turns inference off and grad on, as PyTorch's guard does.
    case inference(Bool)

    package var kind: GradModeKind {
        switch self {
        case .noGrad: return .noGrad
        case .enableGrad: return .enableGrad
        case .setGradEnabled: return .setGradEnabled
        case .inference: return .inference
        }
    }

    /// How the block is written in gradsh: `no_grad`, `inference(False)`, `set_grad_enabled(True)`.
    package var blockName: String {
        switch self {
        case .noGrad, .enableGrad: return kind.rawValue
        case .setGradEnabled(let b): return "set_grad_enabled(\(b ? "True" : "False"))"
        case .inference(let on): return on ? kind.rawValue : kind.rawValue + "(False)"
        }
    }

    func applied(to mode: GradMode) -> GradMode {
        var m = mode
        switch self {
        case .noGrad: m.isGradEnabled = false
        case .enableGrad: m.isGradEnabled = true
        case .setGradEnabled(let b): m.isGradEnabled = b
        case .inference(let on):
            m.isGradEnabled = !on
            m.isInferenceEnabled = on
        }
        return m
    }
}

/// Where the language was when a tensor was made: the statement's line, the mode blocks and
/// decorated calls open around it, and the grad mode the statement ran in (an op may switch
/// modes for its own internal work; what the learner chose is this one). GradCore keeps it
/// on every tensor; the language fills it through `GradModeState`.
package final class CreationSite: Sendable {
    package let line: Int
    /// Innermost last: `no_grad`, `inference`, `@no_grad evaluate()`.
    package let scopes: [String]
    package let mode: GradMode
    /// The line of the plain `set_grad_enabled(b)` call that set the grad flag, if one did.
    package let gradFlagSetAt: Int?

    init(line: Int, scopes: [String], mode: GradMode, gradFlagSetAt: Int?) {
        self.line = line
        self.scopes = scopes
        self.mode = mode
        self.gradFlagSetAt = gradFlagSetAt
    }
}

/// The thread's grad mode: the only record of it. Beside the two flags it keeps what the
/// language opened to get there (the blocks and decorated calls, innermost last), the line
/// of the statement running, and the line of a plain `set_grad_enabled(b)` call that set the
/// grad flag, so `:mode` and the explanations state facts instead of guessing.
package enum GradModeState {
    @inline(__always) private static var box: ThreadState { ThreadState.current }

    /// The calling thread's mode.
    package static var current: GradMode {
        @inline(__always) get { box.mode }
    }

    /// The blocks and decorated calls open now, innermost last (`no_grad`, `@no_grad f()`).
    package static var openScopes: [String] { box.scopes }

    /// The line of the plain `set_grad_enabled(b)` call that last set the grad flag, while
    /// no block has changed it since.
    package static var plainSetGradEnabledLine: Int? { box.plainSetGradEnabledLine }

    /// The line of the statement running: where tensors made from now on were made.
    package static var line: Int {
        get { box.line }
        set {
            let b = box
            guard b.line != newValue || b.statementMode != b.mode else { return }
            b.line = newValue
            b.statementMode = b.mode
            b.site = nil
        }
    }

    /// What a tensor made now records: the mode in effect, and where it was made (one site
    /// shared while nothing changes). One thread-local read for both.
    @inline(__always)
    static func creationRecord(_ b: ThreadState) -> (GradMode, CreationSite) {
        if let s = b.site { return (b.mode, s) }
        let s = CreationSite(line: b.line, scopes: b.scopes, mode: b.statementMode, gradFlagSetAt: b.plainSetGradEnabledLine)
        b.site = s
        return (b.mode, s)
    }

    /// Runs `body` under `change`, restoring both flags afterwards whether it returns or
    /// throws. Ops use it for their internal work; it opens no scope the learner sees.
    package static func withGradMode<R>(_ change: GradModeChange, _ body: () throws -> R) rethrows -> R {
        try withMode(change.applied(to: current), body)
    }

    /// Runs `body` with exactly `mode`, restoring the previous mode afterwards.
    package static func withMode<R>(_ mode: GradMode, _ body: () throws -> R) rethrows -> R {
        let b = box
        let saved = b.mode
        b.mode = mode
        defer { b.mode = saved }
        return try body()
    }

    /// A block or decorated call of the language: `body` runs under `change` inside a scope
    /// named `scope`, which tensors made there record; mode and scope are restored whether
    /// it returns or throws. Blocks and decorators both come through here.
    package static func withScope<R>(_ change: GradModeChange, named scope: String, _ body: () throws -> R) rethrows -> R {
        let b = box
        let (savedMode, savedStatementMode, savedPlain) = (b.mode, b.statementMode, b.plainSetGradEnabledLine)
        b.mode = change.applied(to: b.mode)
        b.statementMode = b.mode
        b.scopes.append(scope)
        b.site = nil
        defer {
            b.mode = savedMode
            b.statementMode = savedStatementMode
            b.plainSetGradEnabledLine = savedPlain
            b.scopes.removeLast()
            b.site = nil
        }
        return try body()
    }

    /// The plain `set_grad_enabled(b)` call: changes the grad flag until something restores it.
    package static func setGradEnabled(_ enabled: Bool) {
        let b = box
        b.mode.isGradEnabled = enabled
        b.statementMode = b.mode
        b.plainSetGradEnabledLine = b.line
        b.site = nil
    }

    /// Puts the mode back to `mode` and closes every scope; for a session reset.
    package static func reset(to mode: GradMode = .initial) {
        let b = box
        b.mode = mode
        b.statementMode = mode
        b.scopes = []
        b.plainSetGradEnabledLine = nil
        b.site = nil
    }
}
