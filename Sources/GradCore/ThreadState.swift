import Foundation

/// Everything the evaluator keeps per thread, in one object so that an op reads it with a
/// single thread-local lookup: the grad mode and the scopes the language opened
/// (`GradModeState`), the statement journal and the birth clock (`StatementJournal`), and
/// the random generator (`DefaultGenerator`). One thread evaluates; a test on another thread
/// sees its own, and no lock is ever taken on an op's path.
final class ThreadState {
    // Grad mode (see GradModeState).
    var mode = GradMode.initial
    var scopes: [String] = []
    var line = 1
    /// The mode the running statement chose (ops may switch modes internally).
    var statementMode = GradMode.initial
    var site: CreationSite?
    var plainSetGradEnabledLine: Int?

    // Statement journal (see StatementJournal).
    var levels: [StatementJournal.Level] = [] {
        didSet { innermostStart = levels.last?.start ?? 0 }
    }
    /// When the innermost statement began, or 0 when none is journaled: everything made
    /// later (birth above it) needs no copy, which is one comparison on an op's hot path.
    var innermostStart: UInt64 = 0
    /// Counts storages and tensors made, to tell what existed before a statement began.
    var clock: UInt64 = 0

    var generator = RandomGenerator(seed: DefaultGenerator.defaultSeed)

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        // A C callback: releases the thread's state when the thread ends.
        pthread_key_create(&k) { Unmanaged<AnyObject>.fromOpaque($0!).release() }
        return k
    }()

    /// The calling thread's state, made on first use.
    @inline(__always) static var current: ThreadState {
        if let p = pthread_getspecific(key) {
            return Unmanaged<ThreadState>.fromOpaque(p).takeUnretainedValue()
        }
        let s = ThreadState()
        pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
        return s
    }
}
