import Foundation

/// The functional pieces of neural networks, with PyTorch's node names
/// (`SoftmaxBackward0`, `NllLossBackward0`, `AddmmBackward0`, ...).
extension Tensor {
    /// Applies `f` to each row along `dim` of a contiguous float copy (row = the `dim` axis).
    private func rowwise(dim: Int, _ f: (UnsafeMutablePointer<Float>, Int, Int) -> Void) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank)
        let out = try converted(to: .float32).freshCopy()
        if rank == 0 {
            f(out.storage.pointer(Float.self), 1, 1)
            return out
        }
        let n = shape[d], inner = shape[(d + 1)...].reduce(1, *)
        if inner > 1 && n > 1 {
            // Rows along `d` are strided, so every pass would jump through memory: move `d`
            // last, work on contiguous rows, and move it back (two copies, still faster).
            let last = rank - 1
            return try swappedData(d, last).rowwise(dim: last, f).swappedData(d, last).freshCopy()
        }
        let outer = numel / Swift.max(n * inner, 1)
        let p = out.storage.pointer(Float.self)
        for o in 0..<outer {
            for i in 0..<inner { f(p + o * n * inner + i, n, inner) }
        }
        return out
    }

    /// The same memory seen with dims `a` and `b` swapped: a plain view for kernels, with no
    /// autograd history and this tensor's inference flag.
    private func swappedData(_ a: Int, _ b: Int) -> Tensor {
        var shape = self.shape, strides = self.strides
        shape.swapAt(a, b)
        strides.swapAt(a, b)
        return Tensor(storage: storage, shape: shape, strides: strides, offset: offset, isInference: isInference, versionCounter: versionCounterOverride)
    }

    /// The backward rule of a row-wise op (softmax, log_softmax) along the last dimension,
    /// as one pass per row over the gradient and the saved output; nil when a graph of the
    /// gradient is being built or the layout is not rows, so the caller composes ops instead.
    static func rowBackward(_ g: Tensor, _ y: Tensor, dim: Int,
                            _ row: (UnsafePointer<Float>, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void) throws -> Tensor? {
        guard !Recorder.shouldRecord(g, y), g.dtype == .float32, y.dtype == .float32, g.shape == y.shape,
              y.isContiguous, y.rank > 0, dim == y.rank - 1 else { return nil }
        let gc = try g.contiguousData()
        let n = y.shape[dim], rows = y.numel / Swift.max(n, 1)
        let out = try Tensor(uninitialized: y.shape, dtype: .float32)
        let pg = UnsafePointer(gc.storage.pointer(Float.self)) + gc.offset
        let py = UnsafePointer(y.storage.pointer(Float.self)) + y.offset
        let po = out.storage.pointer(Float.self)
        for r in 0..<rows { row(pg + r * n, py + r * n, n, po + r * n) }
        return out
    }

    package func softmax(dim: Int) throws -> Tensor {
        let out = try rowwise(dim: dim) { p, n, s in
            if s == 1 {
                // A contiguous row: each pass is a flat loop the compiler vectorizes.
                let m = Kernel.max(p, n)
                for k in 0..<n { p[k] = Foundation.exp(p[k] - m) }
                let inverse = 1 / Float(Kernel.sum(p, n))
                for k in 0..<n { p[k] *= inverse }
                return
            }
            var m = -Float.infinity
            for k in 0..<n { m = Swift.max(m, p[k * s]) }
            var total: Double = 0
            for k in 0..<n { p[k * s] = Foundation.exp(p[k * s] - m); total += Double(p[k * s]) }
            let inverse = 1 / Float(total)
            for k in 0..<n { p[k * s] *= inverse }
        }
        let d = try Shape.normalize(dim: dim, rank: Swift.max(rank, 1))
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("SoftmaxBackward0", inputs: [self], output: out, saveOutput: true) { ctx, g in
            let y = try ctx.output()
            // y · (g − Σ g·y) per row, in one pass when no graph of the gradient is built.
            if let fused = try Tensor.rowBackward(g, y, dim: d, { g, y, n, out in
                let s = Float(Kernel.dot(g, y, n))
                for k in 0..<n { out[k] = y[k] * (g[k] - s) }
            }) { return [fused] }
            return [try y.mul(g.sub(g.mul(y).sum(dims: [d], keepdim: true)))]
        }
    }

    package func logSoftmax(dim: Int) throws -> Tensor {
        let out = try rowwise(dim: dim) { p, n, s in
            if s == 1 {
                let m = Kernel.max(p, n)
                let total = withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { e -> Double in
                    guard let e = e.baseAddress else { return 0 }
                    for k in 0..<n { e[k] = Foundation.exp(p[k] - m) }
                    return Kernel.sum(e, n)
                }
                let lse = m + Float(Foundation.log(total))
                for k in 0..<n { p[k] -= lse }
                return
            }
            var m = -Float.infinity
            for k in 0..<n { m = Swift.max(m, p[k * s]) }
            var total: Double = 0
            for k in 0..<n { total += Double(Foundation.exp(p[k * s] - m)) }
            let lse = m + Float(Foundation.log(total))
            for k in 0..<n { p[k * s] -= lse }
        }
        let d = try Shape.normalize(dim: dim, rank: Swift.max(rank, 1))
        guard Recorder.shouldRecord(self) else { return Recorder.unrecorded(out, self) }
        return try Recorder.record("LogSoftmaxBackward0", inputs: [self], output: out, saveOutput: true) { ctx, g in
            let y = try ctx.output()
            // g − e^y · Σ g per row, in one pass when no graph of the gradient is built.
            if let fused = try Tensor.rowBackward(g, y, dim: d, { g, y, n, out in
                let s = Float(Kernel.sum(g, n))
                for k in 0..<n { out[k] = g[k] - Foundation.exp(y[k]) * s }
            }) { return [fused] }
            return [try g.sub(y.exp().mul(g.sum(dims: [d], keepdim: true)))]
        }
    }

    /// Mean squared error, reduced by `mean` (default), `sum` or `none`.
    package static func mseLoss(_ input: Tensor, _ target: Tensor, reduction: String = "mean") throws -> Tensor {
        let diff = try GradModeState.withGradMode(.noGrad) { try input.sub(target) }
        let sq = try GradModeState.withGradMode(.noGrad) { try diff.mul(diff) }
        let out: Tensor
        switch reduction {
        case "mean": out = try GradModeState.withGradMode(.noGrad) { try sq.mean() }
        case "sum": out = try GradModeState.withGradMode(.noGrad) { try sq.sum() }
        case "none": out = sq
        default: throw TensorError.value("\(reduction) is not a valid value for reduction")
        }
        let n = Double(Swift.max(sq.numel, 1))
        let (si, st) = (input.shape, target.shape)
        guard Recorder.shouldRecord(input, target) else { return Recorder.unrecorded(out, input, target) }
        return try Recorder.record("MseLossBackward0", inputs: [input, target], output: out, save: [input, target]) { ctx, g in
            let d = try ctx.saved(0).sub(ctx.saved(1))
            var scale = try d.mul(Tensor.wrapping(.float(2)))
            if reduction == "mean" { scale = try scale.div(Tensor.wrapping(.float(n))) }
            let gd = try scale.mul(g)
            return [ctx.needsGrad(0) ? try gd.sumTo(si) : nil, ctx.needsGrad(1) ? try gd.neg().sumTo(st) : nil]
        }
    }

    /// Negative log likelihood of log-probabilities `input` (N, C) or (C) at class `target`.
    package static func nllLoss(_ input: Tensor, _ target: Tensor, reduction: String = "mean") throws -> Tensor {
        guard input.dtype == .float32 else {
            throw TensorError.runtime("\"nll_loss_forward_reduce_cuda_kernel_2d_index\" not implemented for '\(input.dtype.scalarTypeName)'")
        }
        guard target.dtype == .int64 else {
            throw TensorError.runtime("expected scalar type Long but found \(target.dtype.scalarTypeName)")
        }
        let batched = input.rank == 2
        guard input.rank == 1 || batched else {
            throw TensorError.value("Expected 2 or more dimensions (got \(input.rank))")
        }
        let n = batched ? input.shape[0] : 1
        let c = batched ? input.shape[1] : input.shape[0]
        guard (batched && target.shape == [n]) || (!batched && target.rank == 0) else {
            throw TensorError.value("Expected input batch_size (\(n)) to match target batch_size (\(target.shape.first ?? 1)).")
        }
        let labels = try target.scalars().map { Int($0.int64Value) }
        for l in labels where l < 0 || l >= c {
            throw TensorError.index("Target \(l) is out of bounds.")
        }
        let x = try input.contiguousData()
        let px = UnsafePointer(x.storage.pointer(Float.self)) + x.offset
        var picked = [Float](repeating: 0, count: n)
        for i in 0..<n { picked[i] = -px[i * c + labels[i]] }
        let out: Tensor
        switch reduction {
        case "mean": out = try Tensor(floats: [picked.reduce(0, +) / Float(Swift.max(n, 1))], shape: [])
        case "sum": out = try Tensor(floats: [picked.reduce(0, +)], shape: [])
        case "none": out = try Tensor(floats: picked, shape: batched ? [n] : [])
        default: throw TensorError.value("\(reduction) is not a valid value for reduction")
        }
        let inputShape = input.shape
        guard Recorder.shouldRecord(input) else { return Recorder.unrecorded(out, input) }
        return try Recorder.record("NllLossBackward0", inputs: [input], output: out, save: [target]) { ctx, g in
            _ = try ctx.saved(0)
            let gv = try g.converted(to: .float32).contiguousData().doubles()
            // Keep the gradient connected to g when differentiating twice.
            if GradModeState.current.isRecording && g.requiresGrad {
                let picks = try Tensor.zeros(inputShape)
                let pp = picks.storage.pointer(Float.self)
                for i in 0..<n { pp[i * c + labels[i]] = -1 }
                let scale = reduction == "mean" ? 1 / Double(n) : 1
                // Per-sample losses (reduction "none") scale their own rows.
                let perRow = reduction == "none" && batched ? try g.unsqueeze(1) : g
                return [try picks.mul(perRow.mul(Tensor.wrapping(.float(-scale))).neg())]
            }
            let gt = try Tensor.zeros(inputShape)
            let pg = gt.storage.pointer(Float.self)
            for i in 0..<n {
                let gi = reduction == "none" ? gv[i] : gv[0] / (reduction == "mean" ? Double(n) : 1)
                pg[i * c + labels[i]] = Float(-gi)
            }
            return [gt]
        }
    }

    /// `cross_entropy(logits, target)` = `nll_loss(log_softmax(logits, 1), target)`.
    package static func crossEntropy(_ input: Tensor, _ target: Tensor, reduction: String = "mean") throws -> Tensor {
        try nllLoss(input.logSoftmax(dim: input.rank == 1 ? 0 : 1), target, reduction: reduction)
    }

    /// `linear(x, weight, bias)`: `x @ weight.T + bias`, recorded as `AddmmBackward0` for 2-D input.
    package static func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let wt = try weight.t()
        if input.rank == 2, let bias, input.dtype == .float32, weight.dtype == .float32 {
            return try addmm(bias, input, wt)
        }
        let product = try input.matmul(wt)
        return try bias.map { try product.add($0) } ?? product
    }

    /// Dropout: zeroes elements with probability `p` and scales the rest by 1/(1-p).
    /// `inplace`: the input is overwritten (one version bump, PyTorch's in-place rules).
    package static func dropout(_ input: Tensor, p: Double, training: Bool, inplace: Bool = false) throws -> Tensor {
        guard p >= 0 && p <= 1 else {
            throw TensorError.value("dropout probability has to be between 0 and 1, but got \(p)")
        }
        if !training || p == 0 { return input }
        let keep = 1 - p
        let mask = try Tensor.zeros(input.shape, dtype: .float32)
        let pm = mask.storage.pointer(Float.self)
        DefaultGenerator.draw { g in for i in 0..<mask.numel { pm[i] = g.uniform() < keep ? Float(1 / keep) : 0 } }
        return inplace ? try input.mulInPlace(mask) : try input.mul(mask)
    }
}
