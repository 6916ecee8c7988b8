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
    /// every element, refusing sizes over the limit with an error instead of letting the
    /// allocator crash the session.
    package init(dtype: DType, count: Int, zeroed: Bool = true) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        if overflow || count < 0 || bytes > AllocationLimit.maxBytes {
            throw TensorError.runtime(AllocationLimit.message(elements: count, dtype: dtype))
        }
        let size = max(bytes, 1)
        guard let p = zeroed ? calloc(size, 1) : Storage.allocateUninitialized(size) else {
            throw TensorError.runtime(AllocationLimit.message(elements: count, dtype: dtype))
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

/// The configurable ceiling on a single tensor's size.
package enum AllocationLimit {
    /// Defaults to 4 GiB: far beyond any lesson, well below what would take the machine down.
    package static var maxBytes: Int {
        get { limit.load(ordering: .relaxed) }
        set { limit.store(newValue, ordering: .relaxed) }
    }
    private static let limit = Atomic<Int>(4 << 30)

    static func message(elements: Int, dtype: DType) -> String {
        let gib = Double(maxBytes) / Double(1 << 30)
        if elements < 0 {
            return "cannot allocate a tensor with a negative number of elements (\(elements))"
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.itemSize)
        let size = overflow ? "more than \(Int.max) bytes" : formatBytes(bytes)
        return "refusing to allocate a tensor of \(elements) \(dtype.name) elements (\(size)): the limit is \(String(format: "%.1f", gib)) GiB"
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
