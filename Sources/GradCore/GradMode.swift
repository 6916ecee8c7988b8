import Foundation

/// The two per-thread flags that decide whether ops record: grad and inference.
/// An op records iff `isGradEnabled && !isInferenceEnabled` and an input requires grad.
public struct GradMode: Equatable, Sendable {
    public var isGradEnabled: Bool
    public var isInferenceEnabled: Bool

    public static let initial = GradMode(isGradEnabled: true, isInferenceEnabled: false)

    /// True when operations may record a graph.
    public var isRecording: Bool { isGradEnabled && !isInferenceEnabled }
}

/// A change of grad mode, as made by a mode block or a decorator.
public enum GradModeChange: Equatable, Sendable {
    case noGrad
    case enableGrad
    case setGradEnabled(Bool)
    /// `inference_mode(true)` turns grad off and inference on; `inference_mode(false)`
    /// turns inference off and grad on, as PyTorch's guard does.
    case inference(Bool)

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

/// Holds the thread's grad mode. Changed only through `withGradMode` (which restores on
/// return and on throw) or `setGradEnabled` (the plain call, which persists).
public enum GradModeState {
    private final class Box { var mode = GradMode.initial }

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { ptr in
            Unmanaged<AnyObject>.fromOpaque(ptr!).release()
        }
        return k
    }()

    @inline(__always) private static var box: Box {
        if let p = pthread_getspecific(key) {
            return Unmanaged<Box>.fromOpaque(p).takeUnretainedValue()
        }
        let b = Box()
        pthread_setspecific(key, Unmanaged.passRetained(b).toOpaque())
        return b
    }

    /// The calling thread's mode.
    public static var current: GradMode {
        @inline(__always) get { box.mode }
    }

    /// Runs `body` under `change`, restoring both flags afterwards whether it returns or throws.
    public static func withGradMode<R>(_ change: GradModeChange, _ body: () throws -> R) rethrows -> R {
        try withMode(change.applied(to: current), body)
    }

    /// Runs `body` with exactly `mode`, restoring the previous mode afterwards.
    public static func withMode<R>(_ mode: GradMode, _ body: () throws -> R) rethrows -> R {
        let b = box
        let saved = b.mode
        b.mode = mode
        defer { b.mode = saved }
        return try body()
    }

    /// The plain `set_grad_enabled(b)` call: changes the grad flag until something restores it.
    public static func setGradEnabled(_ enabled: Bool) {
        box.mode.isGradEnabled = enabled
    }

    /// Puts the mode back to `mode`; for a session reset.
    public static func reset(to mode: GradMode = .initial) {
        box.mode = mode
    }
}
