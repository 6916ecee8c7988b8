import Foundation
import Synchronization

/// A contiguous, typed buffer of tensor elements. Views share one storage; its bytes are
/// counted so the shell can show what is alive.
package final class Storage: VersionCounter {
    package let dtype: DType
    package let count: Int
    let raw: UnsafeMutableRawPointer
    // A storage is itself the version counter of the tensors made over it (views share
    // it; `.data` gets a counter of its own): no second object per tensor.
    /// When it was made, by the journal's clock: memory made during a statement needs no
    /// copy for undoing that statement.
    let birth = StatementJournal.tick()

    /// Bytes of all storages alive right now.
    package static var liveBytes: Int { MemoryStats.liveBytes }
    /// Number of storages alive right now.
    package static var liveCount: Int { MemoryStats.liveCount }

    /// Allocates memory for `count` elements, zero-filled unless the caller will write
    /// every element, refusing sizes past the session's memory budget with an error
    /// instead of letting the allocator crash the session.
    package init(dtype: DType, count: Int, zeroed: Bool = true) throws {
        if count < 0 {
            throw TensorError.runtime("cannot allocate a tensor with a negative number of elements (\(count))")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        try MemoryBudget.reserve(bytes, overflow: overflow, MemoryBudget.message(elements: count, dtype: dtype))
        let size = max(bytes, 1)
        guard let p = zeroed ? calloc(size, 1) : Storage.allocateUninitialized(size) else {
            throw TensorError(.memory, "\(MemoryBudget.message(elements: count, dtype: dtype)) (\(formatBytes(bytes))) could not be allocated: the system is out of memory")
        }
        self.dtype = dtype
        self.count = count
        raw = p
        super.init()
        MemoryStats.add(bytes: bytes, storages: 1)
    }

    deinit {
        MemoryStats.add(bytes: -count * dtype.itemSize, storages: -1)
        free(raw)
    }

    package var byteCount: Int { count * dtype.itemSize }

    /// Transparent huge pages are 2 MiB on x86-64 and arm64 Linux.
    private static let hugePage = 2 << 20

    /// Memory the caller writes in full. Big buffers are aligned to huge pages and marked
    /// for them, so writing a fresh 40 MB output faults in 20 pages instead of 10,000 (the
    /// kernel's zero-filling is then most of the cost of a large elementwise op). Where huge
    /// pages are unavailable the advice is ignored.
    private static func allocateUninitialized(_ size: Int) -> UnsafeMutableRawPointer? {
        guard size >= 4 * hugePage else { return malloc(size) }
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, hugePage, size) == 0, let p else { return nil }
        #if os(Linux)
        _ = madvise(p, size & ~(hugePage - 1), Int32(MADV_HUGEPAGE))
        #endif
        return p
    }

    @inline(__always) func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        raw.assumingMemoryBound(to: T.self)
    }
}

/// PyTorch's version counter: bumped by each in-place change, compared by backward with
/// the version each saved tensor had. A tensor and its views share one; `x.data` and its
/// views share another over the same memory, which is how `w.data -= lr * w.grad` stays
/// invisible to autograd. (Inference tensors do not track it.)
package class VersionCounter {
    final var value = 0
    init() {}
}

/// The session's memory budget (`--max-memory`): the storage of every live tensor, plus
/// the one being made, must fit in it, and so must each host-side array proportional to a
/// tensor (element lists, index tables). Past it an allocation is a MemoryError, never an
/// abort by the allocator or the kernel's OOM killer.
package enum MemoryBudget {
    package static var bytes: Int {
        get { budget.load(ordering: .relaxed) }
        set { budget.store(newValue, ordering: .relaxed) }
    }
    private static let budget = Atomic<Int>(defaultBytes)

    /// Half of physical memory (a session must leave room for everything else), and at
    /// most 80% of the address-space limit when one is set (`ulimit -v`).
    package static let defaultBytes: Int = {
        var limit = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)
        var rl = rlimit()
        #if os(Linux)
        let resource = Int32(RLIMIT_AS.rawValue)
        #else
        let resource = RLIMIT_AS
        #endif
        if getrlimit(resource, &rl) == 0, rl.rlim_cur != rlim_t.max {
            limit = Swift.min(limit, Int(clamping: rl.rlim_cur / 10 * 8))
        }
        return Swift.max(limit, 64 << 20)
    }()

    /// Throws a MemoryError when `bytes` more would take the session past its budget.
    package static func reserve(_ bytes: Int, overflow: Bool = false, _ what: @autoclosure () -> String) throws {
        let live = MemoryStats.liveBytes
        let (total, o) = live.addingReportingOverflow(bytes)
        if overflow || o || total > self.bytes {
            let size = overflow ? "more than \(Int.max) bytes" : formatBytes(bytes)
            throw TensorError(.memory, "\(what()) (\(size)) would take the session past its memory budget: \(formatBytes(live)) in use of \(formatBytes(self.bytes)) (--max-memory)")
        }
    }

    /// Like `reserve`, for memory the budget does not see item by item (the language's
    /// strings and lists, which live as long as anything refers to them): a request of a
    /// MiB or more is also checked against what the process really holds (its resident
    /// memory), so building large strings or lists in a loop ends in a MemoryError, not in
    /// the kernel's OOM killer.
    package static func reserveUntracked(_ bytes: Int, _ what: @autoclosure () -> String) throws {
        try reserve(bytes, what())
        guard bytes >= 1 << 20, let resident = residentBytes() else { return }
        let (total, o) = resident.addingReportingOverflow(bytes)
        if o || total > self.bytes {
            throw TensorError(.memory, "\(what()) (\(formatBytes(bytes))) would take the session past its memory budget: \(formatBytes(resident)) resident of \(formatBytes(self.bytes)) (--max-memory)")
        }
    }

    /// The process's resident memory, from /proc (nil where there is none).
    static func residentBytes() -> Int? {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }

    /// Refuses a host-side array of `count` items (element lists, index tables) that would
    /// not fit, so a huge view fails with an error instead of an abort.
    package static func checkHostArray<T>(count: Int, of _: T.Type) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        try reserve(bytes, overflow: overflow || count < 0, "a list of \(count) elements")
    }

    static func message(elements: Int, dtype: DType) -> String {
        "a tensor of \(elements) \(dtype.name) elements"
    }
}

/// Formats a byte count the way the shell reports memory: `1.5 KiB`, `3.2 MiB`.
package func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// Process-wide counters of live storage: lock-free atomics, since a storage may be freed
/// on another thread than the one that made it.
enum MemoryStats {
    private static let bytes = Atomic<Int>(0)
    private static let count = Atomic<Int>(0)
    static var liveBytes: Int { bytes.load(ordering: .relaxed) }
    static var liveCount: Int { count.load(ordering: .relaxed) }

    @inline(__always)
    static func add(bytes delta: Int, storages: Int) {
        bytes.wrappingAdd(delta, ordering: .relaxed)
        count.wrappingAdd(storages, ordering: .relaxed)
    }
}
