import Foundation
import GradLang

/// Ctrl-C: a handler that only sets flags. At the prompt libedit returns with EINTR and
/// the line is cancelled; during a statement the interpreter sees the request and stops
/// with KeyboardInterrupt.
enum Signals {
    private static let pending: UnsafeMutablePointer<sig_atomic_t> = {
        let p = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    nonisolated(unsafe) private static var installed = false

    /// The thread that reads and evaluates; a Ctrl-C caught by any other thread is passed
    /// on to it, so its blocking read returns at once.
    nonisolated(unsafe) private static var target = pthread_self()

    static func installInterruptHandler() {
        guard !installed else { return }
        installed = true
        target = pthread_self()
        _ = pending
        // No SA_RESTART: a read waiting at the prompt must return with EINTR.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Signals.raise() }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Called from the signal handler: no allocation, no locks.
    static func raise() {
        if pthread_equal(pthread_self(), target) == 0 {
            pthread_kill(target, SIGINT)
            return
        }
        pending.pointee = 1
        Interruption.request()
    }

    static var isInterruptPending: Bool { pending.pointee != 0 }

    static func takeInterrupt() -> Bool {
        let was = pending.pointee != 0
        pending.pointee = 0
        return was
    }

    static func clearInterrupt() {
        pending.pointee = 0
        Interruption.clear()
    }
}
