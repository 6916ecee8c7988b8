import Foundation

/// A value each thread has its own of, made on first use. The evaluator's state (grad mode,
/// statement journal, random generator) is per thread: one thread evaluates, and a test
/// running on another sees its own, so no lock is ever taken on an op's path.
/// Hold a class in it to change fields in place (`local.value.field = x`).
package final class ThreadLocal<Value>: Sendable {
    private final class Box {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private let key: pthread_key_t
    private let initial: @Sendable () -> Value

    package init(_ initial: @escaping @Sendable () -> Value) {
        var k = pthread_key_t()
        // The destructor is a C callback: it releases the thread's box when the thread ends.
        pthread_key_create(&k) { Unmanaged<AnyObject>.fromOpaque($0!).release() }
        key = k
        self.initial = initial
    }

    @inline(__always) private var box: Box {
        if let p = pthread_getspecific(key) {
            return Unmanaged<Box>.fromOpaque(p).takeUnretainedValue()
        }
        let b = Box(initial())
        pthread_setspecific(key, Unmanaged.passRetained(b).toOpaque())
        return b
    }

    package var value: Value {
        @inline(__always) get { box.value }
        @inline(__always) set { box.value = newValue }
    }

    /// Changes the value in place (no copy of an array or struct it holds).
    @inline(__always)
    package func update<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try body(&box.value)
    }
}
