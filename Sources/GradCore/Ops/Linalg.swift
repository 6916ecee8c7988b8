import CBLAS

/// Matrix products. Float products go to OpenBLAS `cblas_sgemm`; a transposed operand is
/// passed as a transpose flag with its leading dimension instead of being copied.
extension Tensor {
    /// A 2-D operand as BLAS sees it: base pointer offset, whether transposed, leading dimension.
    private func blasLayout() -> (tensor: Tensor, transposed: Bool, ld: Int)? {
        let (r, c) = (shape[0], shape[1])
        if strides[1] == 1 && (strides[0] >= Swift.max(c, 1) || r == 1) {
            return (self, false, Swift.max(strides[0], Swift.max(c, 1)))
        }
        if strides[0] == 1 && (strides[1] >= Swift.max(r, 1) || c == 1) {
            return (self, true, Swift.max(strides[1], Swift.max(r, 1)))
        }
        return nil
    }

    /// Raw 2-D product `a @ b` into a new contiguous tensor (no autograd).
    static func mmValues(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        let dt = promote(a.dtype, b.dtype)
        let out = try Tensor(zeros: [m, n], dtype: dt)
        if m == 0 || n == 0 || k == 0 { return out }
        if dt == .float32 {
            let la = try a.converted(to: .float32).blasLayout() ?? (a.converted(to: .float32).freshCopy(), false, Swift.max(k, 1))
            let lb = try b.converted(to: .float32).blasLayout() ?? (b.converted(to: .float32).freshCopy(), false, Swift.max(n, 1))
            let pa = la.tensor.storage.pointer(Float.self) + la.tensor.offset
            let pb = lb.tensor.storage.pointer(Float.self) + lb.tensor.offset
            try sgemm(la.transposed, lb.transposed, m, n, k, pa, la.ld, pb, lb.ld, beta: 0, out.storage.pointer(Float.self), n)
            return out
        }
        // Integer products: exact 64-bit arithmetic, as PyTorch computes them on the CPU.
        let x = try a.converted(to: .int64).contiguousData(), y = try b.converted(to: .int64).contiguousData()
        let px = x.storage.pointer(Int64.self) + x.offset, py = y.storage.pointer(Int64.self) + y.offset
        let po = out.storage.pointer(Int64.self)
        for i in 0..<m {
            // A row is k*n multiply-adds; Ctrl-C and --timeout are looked at between rows.
            try Interruption.check()
            for p in 0..<k {
                let v = px[i * k + p]
                for j in 0..<n { po[i * n + j] = po[i * n + j] &+ v &* py[p * n + j] }
            }
        }
        return try dt == .bool ? out.converted(to: .bool) : out
    }

    /// `bias + a @ b` for float matrices in one buffer: the bias is written into the output
    /// and the GEMM adds onto it (beta = 1), so no separate product buffer is needed.
    static func addmmValues(_ bias: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        guard a.dtype == .float32, b.dtype == .float32, let la = a.blasLayout(), let lb = b.blasLayout(), k > 0 else {
            let product = try mmValues(a, b)
            return try Kernel.zip(product, bias.converted(to: product.dtype).expand([m, n]), Float.self, Float.self, to: .float32, +)
        }
        let out = try Tensor(uninitialized: [m, n], dtype: .float32)
        let b32 = try bias.converted(to: .float32)
        if b32.shape == [n] && b32.isContiguous {
            let src = UnsafePointer(b32.storage.pointer(Float.self)) + b32.offset
            let dst = out.storage.pointer(Float.self)
            for row in 0..<m { (dst + row * n).update(from: src, count: n) }
        } else {
            try Kernel.copy(b32.expand([m, n]), into: out)
        }
        let pa = la.tensor.storage.pointer(Float.self) + la.tensor.offset
        let pb = lb.tensor.storage.pointer(Float.self) + lb.tensor.offset
        try sgemm(la.transposed, lb.transposed, m, n, k, pa, la.ld, pb, lb.ld, beta: 1, out.storage.pointer(Float.self), n)
        return out
    }

    /// `C = A B + beta C` (row-major) through OpenBLAS, in blocks of rows of about 2**28
    /// multiply-adds so that Ctrl-C and --timeout are noticed between them; sizes past
    /// BLAS's 32-bit integers are an error, not a trap.
    private static func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                              _ pa: UnsafeMutablePointer<Float>, _ lda: Int, _ pb: UnsafeMutablePointer<Float>, _ ldb: Int,
                              beta: Float, _ pc: UnsafeMutablePointer<Float>, _ ldc: Int) throws {
        guard m > 0 && n > 0 else { return }
        let limit = Int(Int32.max)
        guard n <= limit, k <= limit, lda <= limit, ldb <= limit, ldc <= limit else {
            throw TensorError.runtime("matrix dimensions past 2**31-1 are not supported by the BLAS library (\(m)x\(k) and \(k)x\(n))")
        }
        let rowsPerBlock = Swift.min(limit, Swift.max(1, (1 << 28) / Swift.max(n * Swift.max(k, 1), 1)))
        var row = 0
        while row < m {
            let rows = Swift.min(rowsPerBlock, m - row)
            // A's block starts `row` rows down: a row of A is a column of the stored matrix when transposed.
            let a = transA ? pa + row : pa + row * lda
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(rows), Int32(n), Int32(k), 1, a, Int32(lda), pb, Int32(ldb), beta, pc + row * ldc, Int32(ldc))
            row += rows
            if row < m { try Interruption.check() }
        }
    }

    /// `mm(a, b)` of two 2-D tensors (`MmBackward0`).
    package func mm(_ other: Tensor) throws -> Tensor {
        guard rank == 2 else { throw TensorError.runtime("self must be a matrix") }
        guard other.rank == 2 else { throw TensorError.runtime("mat2 must be a matrix") }
        guard shape[1] == other.shape[0] else {
            throw TensorError.runtime("mat1 and mat2 shapes cannot be multiplied (\(shape[0])x\(shape[1]) and \(other.shape[0])x\(other.shape[1]))")
        }
        try checkSameDtype(other, op: "mm")
        let out = try Tensor.mmValues(self, other)
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        let save = [other.requiresGrad ? self : nil, requiresGrad ? other : nil]
        let saved = save.compactMap { $0 }
        let ai = save[0] == nil ? -1 : 0
        let bi = save[1] == nil ? -1 : (ai == 0 ? 1 : 0)
        return try Recorder.record("MmBackward0", inputs: [self, other], output: out, save: saved) { ctx, g in
            [ctx.needsGrad(0) ? try g.mm(ctx.saved(bi).t()) : nil,
             ctx.needsGrad(1) ? try ctx.saved(ai).t().mm(g) : nil]
        }
    }

    func checkSameDtype(_ other: Tensor, op: String) throws {
        if dtype != other.dtype {
            throw TensorError.runtime("expected m1 and m2 to have the same dtype, but got: \(dtype.name == "float32" ? "float" : dtype.name == "int64" ? "long int" : "bool") != \(other.dtype.name == "float32" ? "float" : other.dtype.name == "int64" ? "long int" : "bool")")
        }
    }

    /// `a @ b` with PyTorch's rules for 1-D, 2-D and batched operands.
    package func matmul(_ other: Tensor) throws -> Tensor {
        let (ra, rb) = (rank, other.rank)
        guard ra > 0 && rb > 0 else {
            throw TensorError.runtime("both arguments to matmul need to be at least 1D, but they are \(ra)D and \(rb)D")
        }
        if ra == 1 && rb == 1 { return try dot(other) }
        if ra == 2 && rb == 2 { return try mm(other) }
        if ra == 2 && rb == 1 { return try mv(other) }
        if ra == 1 && rb == 2 {
            guard shape[0] == other.shape[0] else {
                throw TensorError.runtime("mat1 and mat2 shapes cannot be multiplied (1x\(shape[0]) and \(other.shape[0])x\(other.shape[1]))")
            }
            return try unsqueeze(0).mm(other).squeeze(dim: 0, name: "SqueezeBackward4")
        }
        return try batchedMatmul(other)
    }

    /// `dot` of two 1-D tensors (`DotBackward0`).
    package func dot(_ other: Tensor) throws -> Tensor {
        guard rank == 1 && other.rank == 1 else {
            throw TensorError.runtime("1D tensors expected, but got \(rank)D and \(other.rank)D tensors")
        }
        guard shape[0] == other.shape[0] else {
            throw TensorError.runtime("inconsistent tensor size, expected tensor [\(shape[0])] and src [\(other.shape[0])] to have the same number of elements, but got \(shape[0]) and \(other.shape[0]) elements respectively")
        }
        try checkSameDtype(other, op: "dot")
        let out = try Tensor.mmValues(unsqueezedData(0), other.unsqueezedData(1)).reshapedData([])
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        return try Recorder.record("DotBackward0", inputs: [self, other], output: out, save: [self, other]) { ctx, g in
            [ctx.needsGrad(0) ? try ctx.saved(1).mul(g) : nil,
             ctx.needsGrad(1) ? try ctx.saved(0).mul(g) : nil]
        }
    }

    /// `mv`: matrix times vector (`MvBackward0`).
    package func mv(_ other: Tensor) throws -> Tensor {
        guard rank == 2 && other.rank == 1 else {
            throw TensorError.runtime("vector + matrix @ vector expected, got 1, \(rank), \(other.rank)")
        }
        guard shape[1] == other.shape[0] else {
            throw TensorError.runtime("size mismatch, got input (\(shape[0])), mat (\(shape[0])x\(shape[1])), vec (\(other.shape[0]))")
        }
        try checkSameDtype(other, op: "mv")
        let out = try Tensor.mmValues(self, other.unsqueezedData(1)).reshapedData([shape[0]])
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(out, self, other) }
        return try Recorder.record("MvBackward0", inputs: [self, other], output: out, save: [self, other]) { ctx, g in
            [ctx.needsGrad(0) ? try g.unsqueeze(1).mm(ctx.saved(1).unsqueeze(0)) : nil,
             ctx.needsGrad(1) ? try ctx.saved(0).t().mv(g) : nil]
        }
    }

    /// Metadata-only unsqueeze for raw kernels (no autograd).
    func unsqueezedData(_ d: Int) -> Tensor {
        var sh = shape, st = strides
        sh.insert(1, at: d)
        st.insert(d < rank ? strides[d] * shape[d] : 1, at: d)
        return Tensor(storage: storage, shape: sh, strides: st, offset: offset,
                      isInference: isInference, versionCounter: versionCounterOverride)
    }

    /// Batched products: broadcast batch dims, one GEMM per batch matrix.
    private func batchedMatmul(_ other: Tensor) throws -> Tensor {
        let a = rank == 1 ? try unsqueeze(0) : self
        let b = other.rank == 1 ? try other.unsqueeze(1) : other
        let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (k2, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        guard k == k2 else {
            throw TensorError.runtime("Expected size for first two dimensions of batch2 tensor to be: [\(a.shape.dropLast(2).reduce(1, *)), \(k)] but got: [\(b.shape.dropLast(2).reduce(1, *)), \(k2)].")
        }
        try a.checkSameDtype(b, op: "bmm")
        let batch = try Shape.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        let ea = try a.expand(batch + [m, k]), eb = try b.expand(batch + [k, n])
        let count = batch.reduce(1, *)
        let fa = try ea.reshape([count, m, k]), fb = try eb.reshape([count, k, n])
        let out = try Tensor(zeros: [count, m, n], dtype: Tensor.promote(a.dtype, b.dtype))
        try GradModeState.withGradMode(.noGrad) {
            for i in 0..<count {
                let r = try Tensor.mmValues(fa.select(dim: 0, index: i), fb.select(dim: 0, index: i))
                try Kernel.copy(r, into: out.select(dim: 0, index: i))
            }
        }
        var resultShape = batch + [m, n]
        if rank == 1 { resultShape.remove(at: resultShape.count - 2) }
        if other.rank == 1 { resultShape.removeLast() }
        let result = try out.reshapedData(resultShape)
        let (sa, sb) = (a.shape, b.shape)
        let (selfShape, otherShape) = (shape, other.shape)
        guard Recorder.shouldRecord(self, other) else { return Recorder.unrecorded(result, self, other) }
        return try Recorder.record("UnsafeViewBackward0", inputs: [self, other], output: result, save: [a, b]) { ctx, g in
            let a = try ctx.saved(0), b = try ctx.saved(1)
            let g3 = try g.reshape(batch + [m, n])
            let ga = ctx.needsGrad(0) ? try g3.matmul(b.transpose(-1, -2)).sumTo(sa).reshape(selfShape) : nil
            let gb = ctx.needsGrad(1) ? try a.transpose(-1, -2).matmul(g3).sumTo(sb).reshape(otherShape) : nil
            return [ga, gb]
        }
    }

    /// `addmm(bias, input, weight)`: `bias + input @ weight`, the fused op `Linear` records
    /// (`AddmmBackward0`).
    package static func addmm(_ bias: Tensor, _ input: Tensor, _ weight: Tensor) throws -> Tensor {
        guard input.rank == 2 && weight.rank == 2 && input.shape[1] == weight.shape[0] else {
            throw TensorError.runtime("mat1 and mat2 shapes cannot be multiplied (\(input.shape.map(String.init).joined(separator: "x")) and \(weight.shape.map(String.init).joined(separator: "x")))")
        }
        let out = try addmmValues(bias, input, weight)
        guard Recorder.shouldRecord(bias, input, weight) else { return Recorder.unrecorded(out, bias, input, weight) }
        let biasShape = bias.shape
        let save = [weight.requiresGrad ? input : nil, input.requiresGrad ? weight : nil]
        let saved = save.compactMap { $0 }
        let ii = save[0] == nil ? -1 : 0
        let wi = save[1] == nil ? -1 : (ii == 0 ? 1 : 0)
        return try Recorder.record("AddmmBackward0", inputs: [bias, input, weight], output: out, save: saved) { ctx, g in
            [ctx.needsGrad(0) ? try g.sumTo(biasShape) : nil,
             ctx.needsGrad(1) ? try g.mm(ctx.saved(wi).t()) : nil,
             ctx.needsGrad(2) ? try ctx.saved(ii).t().mm(g) : nil]
        }
    }
}
