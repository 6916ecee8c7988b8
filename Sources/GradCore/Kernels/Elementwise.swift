/// Elementwise loops over strided, broadcast operands. Each loop is generic over element
/// types and takes the per-element function as an inlined closure, so there is no
/// per-element dynamic dispatch; contiguous operands take a flat loop.
enum Kernel {
    /// A tensor of `shape` filled by `f` applied to `a`'s elements (same shape as `a`).
    @inline(__always)
    static func map<A: TensorElement, R: TensorElement>(_ a: Tensor, _: A.Type, to dtype: DType, _ f: (A) -> R) throws -> Tensor {
        precondition(R.dtype == dtype && A.dtype == a.dtype, "kernel element types must match the dtypes")
        let out = try Tensor(uninitialized: a.shape, dtype: dtype)
        let po = out.storage.pointer(R.self)
        let pa = UnsafePointer(a.storage.pointer(A.self))
        if a.isContiguous {
            let base = pa + a.offset
            try Interruption.chunked(out.numel) { r in for i in r { po[i] = f(base[i]) } }
        } else {
            var i = 0
            try StridedWalk.forEach(shape: a.shape, strides: a.strides, offset: a.offset, interruptible: true) { j in
                po[i] = f(pa[j])
                i += 1
            }
        }
        return out
    }

    /// A tensor of the broadcast shape of `a` and `b` filled with `f(a, b)`.
    @inline(__always)
    static func zip<A: TensorElement, B: TensorElement, R: TensorElement>(_ a: Tensor, _ b: Tensor, _: A.Type, _: B.Type, to dtype: DType,
                             _ f: (A, B) -> R) throws -> Tensor {
        precondition(R.dtype == dtype && A.dtype == a.dtype && B.dtype == b.dtype, "kernel element types must match the dtypes")
        let shape = a.shape == b.shape ? a.shape : try Shape.broadcast(a.shape, b.shape)
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        let n = out.numel
        if n == 0 { return out }
        let po = out.storage.pointer(R.self)
        let pa = UnsafePointer(a.storage.pointer(A.self)) + a.offset
        let pb = UnsafePointer(b.storage.pointer(B.self)) + b.offset
        let aFull = a.shape == shape && a.isContiguous
        let bFull = b.shape == shape && b.isContiguous
        if aFull && bFull {
            try Interruption.chunked(n) { r in for i in r { po[i] = f(pa[i], pb[i]) } }
            return out
        }
        if aFull && b.numel == 1 {
            let v = pb[0]
            try Interruption.chunked(n) { r in for i in r { po[i] = f(pa[i], v) } }
            return out
        }
        if bFull && a.numel == 1 {
            let v = pa[0]
            try Interruption.chunked(n) { r in for i in r { po[i] = f(v, pb[i]) } }
            return out
        }
        let sa = Shape.broadcastStrides(shape: a.shape, strides: a.strides, to: shape)
        let sb = Shape.broadcastStrides(shape: b.shape, strides: b.strides, to: shape)
        let rank = shape.count
        let inner = shape[rank - 1]
        let ia = sa[rank - 1], ib = sb[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var oa = 0, ob = 0, o = 0
        while true {
            // The usual inner layouts (both contiguous, or one broadcast along the row, as
            // in `x @ w + b`) get loops with constant strides, which vectorize.
            let ra = pa + oa, rb = pb + ob, ro = po + o
            if ia == 1 && ib == 1 {
                for k in 0..<inner { ro[k] = f(ra[k], rb[k]) }
            } else if ia == 1 && ib == 0 {
                let v = rb[0]
                for k in 0..<inner { ro[k] = f(ra[k], v) }
            } else if ia == 0 && ib == 1 {
                let v = ra[0]
                for k in 0..<inner { ro[k] = f(v, rb[k]) }
            } else {
                var ja = 0, jb = 0
                for k in 0..<inner {
                    ro[k] = f(ra[ja], rb[jb])
                    ja += ia
                    jb += ib
                }
            }
            o += inner
            // One look at the interruption flag per row.
            try Interruption.check()
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                oa += sa[d]
                ob += sb[d]
                if index[d] < shape[d] { break }
                oa -= sa[d] * shape[d]
                ob -= sb[d] * shape[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { break }
        }
        return out
    }

    /// `dst[i] = f(dst[i], b[i])` in `dst`'s own memory, `b` broadcast to `dst`'s shape: the
    /// in-place ops and gradient accumulation, without a result buffer and a second pass.
    /// Only for a contiguous float32 `dst` and a float32 `b` in other memory (so no element
    /// is read after being written); returns false, changing nothing, for anything else.
    @inline(__always)
    static func update(_ dst: Tensor, with b: Tensor, _ f: (Float, Float) -> Float) -> Bool {
        guard dst.dtype == .float32, b.dtype == .float32, dst.isContiguous, b.storage !== dst.storage,
              (try? Shape.broadcast(dst.shape, b.shape)) == dst.shape else { return false }
        let n = dst.numel
        let pd = dst.storage.pointer(Float.self) + dst.offset
        let pb = UnsafePointer(b.storage.pointer(Float.self)) + b.offset
        if b.isContiguous && b.numel == n {
            for i in 0..<n { pd[i] = f(pd[i], pb[i]) }
        } else if b.numel == 1 {
            let v = pb[0]
            for i in 0..<n { pd[i] = f(pd[i], v) }
        } else {
            var i = 0
            StridedWalk.forEach(shape: dst.shape, strides: Shape.broadcastStrides(shape: b.shape, strides: b.strides, to: dst.shape),
                                offset: 0) { j in
                pd[i] = f(pd[i], pb[j])
                i += 1
            }
        }
        return true
    }

    /// Three operands (for `where`), broadcast together.
    @inline(__always)
    static func zip3<A: TensorElement, B: TensorElement, C: TensorElement, R: TensorElement>(_ a: Tensor, _ b: Tensor, _ c: Tensor, _: A.Type, _: B.Type, _: C.Type,
                                 to dtype: DType, _ f: (A, B, C) -> R) throws -> Tensor {
        let shape = try Shape.broadcast(Shape.broadcast(a.shape, b.shape), c.shape)
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        let po = out.storage.pointer(R.self)
        let pa = UnsafePointer(a.storage.pointer(A.self))
        let pb = UnsafePointer(b.storage.pointer(B.self))
        let pc = UnsafePointer(c.storage.pointer(C.self))
        let ea = a.expandedLayout(to: shape), eb = b.expandedLayout(to: shape), ec = c.expandedLayout(to: shape)
        try MemoryBudget.checkHostArray(count: out.numel, of: (Int, Int, Int).self)
        var ja: [Int] = [], jb: [Int] = [], jc: [Int] = []
        ja.reserveCapacity(out.numel); jb.reserveCapacity(out.numel); jc.reserveCapacity(out.numel)
        StridedWalk.forEach(shape: shape, strides: ea.strides, offset: a.offset) { ja.append($0) }
        StridedWalk.forEach(shape: shape, strides: eb.strides, offset: b.offset) { jb.append($0) }
        StridedWalk.forEach(shape: shape, strides: ec.strides, offset: c.offset) { jc.append($0) }
        for i in 0..<ja.count { po[i] = f(pa[ja[i]], pb[jb[i]], pc[jc[i]]) }
        return out
    }

    /// Writes `src` (broadcast to `dst`'s shape, same dtype) into `dst`'s memory, honouring strides.
    static func copy(_ src: Tensor, into dst: Tensor) throws {
        let s = try src.converted(to: dst.dtype)
        let layout = s.expandedLayout(to: dst.shape)
        switch dst.dtype {
        case .float32: try copyTyped(s, layout.strides, dst, Float.self)
        case .int64: try copyTyped(s, layout.strides, dst, Int64.self)
        case .bool: try copyTyped(s, layout.strides, dst, Bool.self)
        }
    }

    private static func copyTyped<T>(_ src: Tensor, _ srcStrides: [Int], _ dst: Tensor, _: T.Type) throws {
        let ps = src.storage.pointer(T.self)
        let pd = dst.storage.pointer(T.self)
        if dst.isContiguous && src.isContiguous && src.shape == dst.shape {
            let n = dst.numel
            if ps + src.offset != pd + dst.offset || src.storage !== dst.storage {
                let from = ps + src.offset, to = pd + dst.offset
                if src.storage === dst.storage {
                    // Overlapping memory is copied in one memmove (chunks would reorder it).
                    to.update(from: from, count: n)
                } else {
                    try Interruption.chunked(n) { r in (to + r.lowerBound).update(from: from + r.lowerBound, count: r.count) }
                }
            }
            return
        }
        try MemoryBudget.checkHostArray(count: dst.numel, of: (Int, T).self)
        var sources: [Int] = []
        sources.reserveCapacity(dst.numel)
        try StridedWalk.forEach(shape: dst.shape, strides: srcStrides, offset: src.offset, interruptible: true) { sources.append($0) }
        // Read everything first: source and destination may overlap (x.copy_(x.t())).
        let values = sources.map { ps[$0] }
        var i = 0
        StridedWalk.forEach(shape: dst.shape, strides: dst.strides, offset: dst.offset) { j in
            pd[j] = values[i]
            i += 1
        }
    }
}

extension Tensor {
    /// A contiguous tensor whose memory is about to be written in full (not zero-filled).
    convenience init(uninitialized shape: [Int], dtype: DType) throws {
        let n = try Shape.elementCount(shape)
        let storage = try Storage(dtype: dtype, count: n, zeroed: false)
        let inference = GradModeState.current.isInferenceEnabled
        self.init(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape), offset: 0,
                  isInference: inference)
    }

    /// This tensor's layout seen at a broadcast `shape` (stride 0 on expanded axes).
    func expandedLayout(to target: [Int]) -> (shape: [Int], strides: [Int]) {
        (target, Shape.broadcastStrides(shape: shape, strides: strides, to: target))
    }

    /// The same values with `dtype`, sharing memory when no conversion is needed.
    func converted(to dtype: DType) throws -> Tensor {
        if dtype == self.dtype { return self }
        switch (self.dtype, dtype) {
        case (.float32, .int64): return try Kernel.map(self, Float.self, to: .int64) { $0.isFinite ? Int64(exactly: $0.rounded(.towardZero)) ?? ($0 < 0 ? Int64.min : Int64.max) : Int64.min }
        case (.float32, .bool): return try Kernel.map(self, Float.self, to: .bool) { $0 != 0 }
        case (.int64, .float32): return try Kernel.map(self, Int64.self, to: .float32) { Float($0) }
        case (.int64, .bool): return try Kernel.map(self, Int64.self, to: .bool) { $0 != 0 }
        case (.bool, .float32): return try Kernel.map(self, Bool.self, to: .float32) { $0 ? Float(1) : Float(0) }
        case (.bool, .int64): return try Kernel.map(self, Bool.self, to: .int64) { $0 ? Int64(1) : Int64(0) }
        default: return self
        }
    }

    /// A contiguous copy (or self when already contiguous), with no autograd history.
    func contiguousData() throws -> Tensor {
        if isContiguous { return self }
        return try freshCopy()
    }

    /// A new contiguous tensor with the same values: version 0, no graph.
    func freshCopy() throws -> Tensor {
        switch dtype {
        case .float32: return try Kernel.map(self, Float.self, to: .float32) { $0 }
        case .int64: return try Kernel.map(self, Int64.self, to: .int64) { $0 }
        case .bool: return try Kernel.map(self, Bool.self, to: .bool) { $0 }
        }
    }
}
