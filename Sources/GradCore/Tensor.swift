/// An n-dimensional strided view over a storage, with the autograd metadata PyTorch keeps.
///
/// Views (`x[0]`, `x.t()`, `x.view(...)`) share storage and version counter with their base.
/// A tensor is a leaf when it has no `gradFn`.
package final class Tensor {
    /// The memory and geometry. Only `setData` (`x.data = t`) changes them after creation.
    package internal(set) var storage: Storage
    package internal(set) var shape: [Int]
    package internal(set) var strides: [Int]
    package internal(set) var offset: Int
    /// A version counter other than the storage's own: set for `x.data` (a counter of its
    /// own), after `x.data = t` (the counter x had), and inherited by views.
    var versionCounterOverride: VersionCounter?
    /// Shared with views of this tensor; see `VersionCounter`.
    @inline(__always) var versionCounter: VersionCounter { versionCounterOverride ?? storage }

    /// PyTorch's own `requires_grad_` flag: set on leaves by the user, on results by the
    /// op that records them. A view also requires grad when its base does (`requiresGrad`).
    package internal(set) var ownRequiresGrad: Bool
    /// Whether autograd tracks this tensor: its own flag, or (for a view) its base's, as
    /// PyTorch's differentiable views do. A non-leaf always requires grad.
    package internal(set) var requiresGrad: Bool {
        @inline(__always) get { ownRequiresGrad || (viewBase?.ownRequiresGrad ?? false) }
        set { ownRequiresGrad = newValue }
    }
    /// The node recorded for this tensor. For a view it can be out of date: `gradFn`
    /// replaces it after an in-place change to the memory the view shares.
    var recordedGradFn: Node?
    /// The version counter's value when `recordedGradFn` was set (views only): PyTorch's
    /// `attr_version`, how a view notices that its base changed in place.
    var attrVersion: Int
    /// The gradient accumulated by backward (leaves, and non-leaves after `retainGrad()`).
    package var grad: Tensor? {
        get { storedGrad }
        set {
            StatementJournal.willChange(self)
            storedGrad = newValue
        }
    }
    private var storedGrad: Tensor?
    /// When it was made, by the statement journal's clock.
    let birth: UInt64
    package internal(set) var retainsGrad = false
    /// Made while inference mode was on: no version counter, restricted later use.
    package let isInference: Bool
    /// The tensor that owns the memory this one views (PyTorch's `_base`), or nil if this
    /// is not a view. Views of inference tensors are not tracked, as in PyTorch.
    package let viewBase: Tensor?
    /// The grad mode a view was made in (PyTorch's `CreationMeta`): views made under
    /// no_grad or inference may not take part in in-place changes that autograd records.
    package let viewCreation: ViewCreation
    /// The cached AccumulateGrad node of a leaf; held strongly by the graph, weakly here.
    weak var gradAccumulator: Node?
    /// The grad mode in effect when this tensor was made: why it has no graph.
    package let creationMode: GradMode
    /// Made by `detach()` / `detach_()`: cut from its graph on purpose.
    package internal(set) var isDetached = false
    /// Made by `nn.Parameter(...)`: a module registers it when it is assigned as an attribute.
    package var isParameter = false
    /// A Python number turned into a 0-d tensor for an op (PyTorch's wrapped number): ops
    /// that keep such an operand as a plain number (`x ** 2` records `PowBackward0` and
    /// saves only `x`) can tell it from a real 0-d tensor (`x ** tensor(2.)`: `PowBackward1`).
    package internal(set) var isWrappedNumber = false
    /// Made outside inference mode by an op whose inputs were all inference tensors, one of
    /// which required grad: autograd does not track inference tensors, so nothing was recorded.
    package internal(set) var madeFromInferenceOnly = false
    /// Made by backward to hold a leaf's (or a retained non-leaf's) `.grad`.
    package internal(set) var isGradient = false
    /// Where the language was when the tensor was made (line, open blocks, statement mode).
    package internal(set) var site: CreationSite

    init(storage: Storage, shape: [Int], strides: [Int], offset: Int,
         requiresGrad: Bool = false, isInference: Bool,
         viewBase: Tensor? = nil, viewCreation: ViewCreation = .normal, versionCounter: VersionCounter? = nil) {
        self.storage = storage
        self.versionCounterOverride = versionCounter
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.ownRequiresGrad = requiresGrad
        self.isInference = isInference
        self.viewBase = isInference ? nil : viewBase
        self.viewCreation = viewCreation
        self.attrVersion = viewBase == nil ? 0 : (versionCounter ?? storage).value
        // One thread-local lookup for the birth stamp, the mode and the creation site.
        let state = ThreadState.current
        self.birth = StatementJournal.tick(state)
        (self.creationMode, self.site) = GradModeState.creationRecord(state)
    }

    /// A fresh contiguous tensor of zeros; inference-ness follows the current mode.
    package convenience init(zeros shape: [Int], dtype: DType) throws {
        let n = try Shape.elementCount(shape)
        let storage = try Storage(dtype: dtype, count: n)
        let inference = GradModeState.current.isInferenceEnabled
        self.init(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape), offset: 0,
                  isInference: inference)
    }

    package var dtype: DType { storage.dtype }
    package var rank: Int { shape.count }
    package var numel: Int { shape.reduce(1, *) }
    /// PyTorch's `is_leaf`: no grad_fn. Reading it can fail as reading `gradFn` can.
    package var isLeaf: Bool { get throws { try gradFn == nil } }

    /// Puts back `.grad` when a failed statement is undone (not itself journaled).
    func restoreGrad(_ g: Tensor?) { storedGrad = g }

    /// The version counter's value; PyTorch refuses to report one for inference tensors.
    package func version() throws -> Int {
        guard !isInference else { throw TensorError.runtime(AutogradMessage.inferenceVersion) }
        return versionCounter.value
    }

    /// The version if tracked, for display.
    package var versionIfTracked: Int? { isInference ? nil : versionCounter.value }

    /// One in-place change: the counter every view of this memory shares goes up by one.
    @inline(__always) func bumpVersion() {
        if !isInference { versionCounter.value += 1 }
    }

    package var isContiguous: Bool { Shape.isContiguous(shape: shape, strides: strides) }

    /// Bytes of element data this tensor's storage holds.
    package var storageBytes: Int { storage.byteCount }

    // MARK: element access (for display, tests and small host-side work)

    /// The storage index of each element in row-major order.
    func forEachStorageIndex(_ body: (Int) -> Void) {
        StridedWalk.forEach(shape: shape, strides: strides, offset: offset, body)
    }

    /// All elements in row-major order as Python numbers; refused, like a tensor, when the
    /// list would be larger than the allocation limit (a view of 10**12 elements is cheap,
    /// its list is not).
    package func scalars() throws -> [Scalar] {
        try MemoryBudget.checkHostArray(count: numel, of: Scalar.self)
        var out: [Scalar] = []
        out.reserveCapacity(numel)
        switch dtype {
        case .float32:
            let p = storage.pointer(Float.self)
            forEachStorageIndex { out.append(.float(Double(p[$0]))) }
        case .int64:
            let p = storage.pointer(Int64.self)
            forEachStorageIndex { out.append(.int(p[$0])) }
        case .bool:
            let p = storage.pointer(Bool.self)
            forEachStorageIndex { out.append(.bool(p[$0])) }
        }
        return out
    }

    /// All elements as Doubles in row-major order (for tests and gradient checks).
    package func doubles() throws -> [Double] { try scalars().map(\.doubleValue) }

    /// The elements as Floats in row-major order.
    package func floats() throws -> [Float] { try scalars().map { Float($0.doubleValue) } }

    /// `item()`: the one element as a Python number.
    package func item() throws -> Scalar {
        guard numel == 1 else {
            throw TensorError.runtime("a Tensor with \(numel) elements cannot be converted to Scalar")
        }
        return scalar(atRowMajor: 0)
    }

    /// The element at position `flat` of the row-major order (0 ≤ flat < numel), read
    /// straight from storage: display code uses it to show a few elements of a huge tensor
    /// without copying all of them.
    package func scalar(atRowMajor flat: Int) -> Scalar {
        var rest = flat
        var i = offset
        for d in stride(from: rank - 1, through: 0, by: -1) where shape[d] > 0 {
            i += (rest % shape[d]) * strides[d]
            rest /= shape[d]
        }
        switch dtype {
        case .float32: return .float(Double(storage.pointer(Float.self)[i]))
        case .int64: return .int(storage.pointer(Int64.self)[i])
        case .bool: return .bool(storage.pointer(Bool.self)[i])
        }
    }

    /// The element at a full multi-index (no bounds checks beyond a precondition-free clamp).
    func storageIndex(_ index: [Int]) -> Int {
        var i = offset
        for d in 0..<index.count { i += index[d] * strides[d] }
        return i
    }
}

extension Tensor: CustomStringConvertible {
    package var description: String {
        "Tensor(shape: \(shape), dtype: \(dtype.name), requiresGrad: \(requiresGrad), gradFn: \(gradFnOrRecorded?.name ?? "nil"))"
    }
}

/// Shape arithmetic shared by every op.
package enum Shape {
    /// The number of elements, refusing overflow and negative sizes.
    package static func elementCount(_ shape: [Int]) throws -> Int {
        var n = 1
        // The sizes other than 0 must multiply without overflow too: strides and offsets
        // are formed from them even when another size is 0 (zeros(10**18, 0, 2**40)).
        var span = 1
        for s in shape {
            if s < 0 {
                throw TensorError.runtime("Trying to create tensor with negative dimension \(s): \(shape)")
            }
            let (m, overflow) = n.multipliedReportingOverflow(by: s)
            let (w, spanOverflow) = span.multipliedReportingOverflow(by: Swift.max(s, 1))
            if overflow || spanOverflow {
                throw TensorError.runtime("the shape \(shape) has more elements than can be addressed")
            }
            (n, span) = (m, w)
        }
        return n
    }

    /// Shared stride arrays for the common small ranks: making a new array costs more than
    /// a small elementwise op.
    private static let strides0: [Int] = []
    private static let strides1: [Int] = [1]

    package static func contiguousStrides(_ shape: [Int]) -> [Int] {
        if shape.isEmpty { return strides0 }
        if shape.count == 1 { return strides1 }
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = acc
            // Only a tensor with no elements can have sizes whose product overflows
            // (zeros(10**18, 0, 2**31)); its strides address nothing, so they saturate.
            let (next, overflow) = acc.multipliedReportingOverflow(by: max(shape[d], 1))
            acc = overflow ? Int.max : next
        }
        return strides
    }

    /// Row-major with no gaps; a tensor with no elements always is, as in PyTorch.
    package static func isContiguous(shape: [Int], strides: [Int]) -> Bool {
        if shape.contains(0) { return true }
        var expected = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// Wraps a possibly negative dim into `0..<rank`, with PyTorch's IndexError otherwise.
    package static func normalize(dim: Int, rank: Int) throws -> Int {
        let r = max(rank, 1)
        if dim < -r || dim >= r {
            throw TensorError.index("Dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))")
        }
        return dim < 0 ? dim + r : dim
    }

    /// The broadcast shape of two shapes, or PyTorch's error.
    package static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        if a == b || b.isEmpty { return a }
        if a.isEmpty { return b }
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                throw TensorError.runtime("The size of tensor a (\(da)) must match the size of tensor b (\(db)) at non-singleton dimension \(i)")
            }
        }
        return out
    }

    /// Strides that read a tensor of `shape`/`strides` as if it had `target` shape (0 on broadcast axes).
    static func broadcastStrides(shape: [Int], strides: [Int], to target: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: target.count)
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 || target[lead + i] == 1 {
            out[lead + i] = shape[i] == 1 ? 0 : strides[i]
        }
        return out
    }

    /// PyTorch's `torch.Size([2, 3])` spelling.
    package static func torchSize(_ shape: [Int]) -> String {
        "torch.Size([" + shape.map(String.init).joined(separator: ", ") + "])"
    }
}

/// Walks the storage indices of a strided layout in row-major order without recursion.
enum StridedWalk {
    /// Visits every element; `interruptible` walks stop between rows when an interruption
    /// is requested and throw `Interrupted` (for the long kernels: copies, maps).
    @inline(__always)
    static func forEach(shape: [Int], strides: [Int], offset: Int, interruptible: Bool = false, _ body: (Int) -> Void) throws {
        try walk(shape: shape, strides: strides, offset: offset, interruptible: interruptible, body)
    }

    /// The walk for callers that need every element (display, index tables).
    @inline(__always)
    static func forEach(shape: [Int], strides: [Int], offset: Int, _ body: (Int) -> Void) {
        try? walk(shape: shape, strides: strides, offset: offset, interruptible: false, body)
    }

    @inline(__always)
    private static func walk(shape: [Int], strides: [Int], offset: Int, interruptible: Bool, _ body: (Int) -> Void) throws {
        let rank = shape.count
        if rank == 0 { body(offset); return }
        for s in shape where s == 0 { return }
        let inner = shape[rank - 1]
        let innerStride = strides[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var base = offset
        while true {
            var p = base
            for _ in 0..<inner {
                body(p)
                p += innerStride
            }
            if interruptible { try Interruption.check() }
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                base += strides[d]
                if index[d] < shape[d] { break }
                base -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}
