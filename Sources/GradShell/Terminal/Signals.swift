import Foundation
import GradCore
import GradLang
import Synchronization

/// Ctrl-C: a handler that only sets flags. At the prompt libedit returns with EINTR and
/// the line is cancelled; during a statement the interpreter sees the request and stops
/// with KeyboardInterrupt.
enum Signals {
    /// Lock-free atomics: the signal handler reads and writes them.
    private static let pending = Atomic<Bool>(false)
    private static let installed = Atomic<Bool>(false)

    /// The thread that reads and evaluates; a Ctrl-C caught by any other thread is passed
    /// on to it, so its blocking read returns at once.
    private static let target = Atomic<UInt>(0)

    static func installInterruptHandler() {
        guard !installed.exchange(true, ordering: .relaxed) else { return }
        target.store(UInt(pthread_self()), ordering: .relaxed)
        // No SA_RESTART: a read waiting at the prompt must return with EINTR.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Signals.raise() }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Called from the signal handler: no allocation, no locks.
    static func raise() {
        let reader = pthread_t(target.load(ordering: .relaxed))
        if pthread_equal(pthread_self(), reader) == 0 {
            pthread_kill(reader, SIGINT)
            return
        }
        pending.store(true, ordering: .relaxed)
        Interruption.request()
    }

    static var isInterruptPending: Bool { pending.load(ordering: .relaxed) }

    static func takeInterrupt() -> Bool {
        pending.exchange(false, ordering: .relaxed)
    }

    static func clearInterrupt() {
        pending.store(false, ordering: .relaxed)
        Interruption.clear()
    }
}
