import Dispatch
import Synchronization

/// A request to stop what is running: Ctrl-C (set from a signal handler) or the statement's
/// time limit (set by a timer). Every loop that can run long polls it: the interpreter's
/// statements, loop iterations and calls, and here the kernels over large tensors, which
/// stop early and throw `Interrupted` (the interpreter turns it into KeyboardInterrupt or
/// TimeoutError and undoes the statement).
package enum Interruption {
    package enum Reason: Int, Sendable {
        case keyboard = 1
        case timeout = 2
    }

    /// Lock-free, so a signal handler may set it: 0, or a Reason.
    private static let state = Atomic<Int>(0)

    package static func request(_ reason: Reason = .keyboard) { state.store(reason.rawValue, ordering: .relaxed) }
    package static func clear() { state.store(0, ordering: .relaxed) }
    @inline(__always) package static var isRequested: Bool { state.load(ordering: .relaxed) != 0 }

    /// Drops a pending timeout (one that fired as its statement ended), not a Ctrl-C.
    package static func clearTimeout() {
        _ = state.compareExchange(expected: Reason.timeout.rawValue, desired: 0, ordering: .relaxed)
    }

    /// The pending request, cleared.
    package static func take() -> Reason? { Reason(rawValue: state.exchange(0, ordering: .relaxed)) }

    /// Throws `Interrupted` when a request is pending (left pending for the interpreter).
    @inline(__always) package static func check() throws {
        if isRequested { throw Interrupted() }
    }

    /// Elements a kernel processes between two looks at the flag: about a millisecond.
    static let chunk = 1 << 18

    /// `body` over `0..<n` in chunks, looking at the flag between them; throws
    /// `Interrupted` instead of finishing when a request comes.
    @inline(__always)
    static func chunked(_ n: Int, _ body: (Range<Int>) -> Void) throws {
        var start = 0
        while start < n {
            let end = n - start > chunk ? start + chunk : n
            body(start..<end)
            start = end
            if start < n { try check() }
        }
    }
}

/// Thrown by GradCore when an interruption request stops an op part-way.
package struct Interrupted: Error {}

/// The per-statement time limit (`--timeout`): a timer that requests a timeout
/// interruption unless the statement finishes (disarms it) first.
package enum Watchdog {
    private static let generation = Atomic<Int>(0)

    /// Requests `.timeout` after `seconds`; a limit beyond what the clock counts
    /// (`--timeout 1e19`) is no limit.
    package static func arm(seconds: Double) {
        let armed = generation.add(1, ordering: .relaxed).newValue
        guard seconds > 0, seconds * 1e9 < Double(UInt64.max / 4) else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(seconds * 1e9))) {
            if generation.load(ordering: .relaxed) == armed { Interruption.request(.timeout) }
        }
    }

    /// Cancels the pending timer, if any.
    package static func disarm() { generation.add(1, ordering: .relaxed) }
}
