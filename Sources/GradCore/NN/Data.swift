/// `TensorDataset(x, y, ...)`: rows of several tensors that share their first dimension.
package final class TensorDataset {
    package let tensors: [Tensor]

    package init(_ tensors: [Tensor]) throws {
        guard let first = tensors.first else { throw TensorError.value("TensorDataset needs at least one tensor") }
        for t in tensors where t.shape.first != first.shape.first {
            throw TensorError.runtime("Size mismatch between tensors")
        }
        self.tensors = tensors
    }

    package var count: Int { tensors[0].shape.first ?? 0 }

    /// Row `i` of every tensor.
    package func item(_ i: Int) throws -> [Tensor] {
        try tensors.map { try $0.select(dim: 0, index: i) }
    }
}

/// `DataLoader(dataset, batch_size=1, shuffle=False)`: batches of rows, reshuffled from the
/// default generator at the start of every pass when `shuffle` is on.
package final class DataLoader {
    package let dataset: TensorDataset
    package let batchSize: Int
    package let shuffle: Bool
    package let dropLast: Bool

    package init(_ dataset: TensorDataset, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false) throws {
        guard batchSize > 0 else {
            throw TensorError.value("batch_size should be a positive integer value, but got batch_size=\(batchSize)")
        }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
    }

    package var count: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// One pass over the data: each batch holds one tensor per dataset tensor.
    package func batches() throws -> [[Tensor]] {
        let n = dataset.count
        let order = shuffle ? try Tensor.randperm(n) : try Tensor.arange(.int(0), .int(Int64(n)))
        var out: [[Tensor]] = []
        var start = 0
        while start < n {
            let end = Swift.min(start + batchSize, n)
            if dropLast && end - start < batchSize { break }
            let idx = try order.slice(dim: 0, start: start, end: end)
            out.append(try GradModeState.withGradMode(.noGrad) { try dataset.tensors.map { try $0.index([.tensor(idx)]) } })
            start = end
        }
        return out
    }
}

/// Small labelled datasets generated from a seed, for lessons.
package enum Datasets {
    /// Gaussian blobs around `centers` random centres in [-10, 10]^features, standard
    /// deviation `std`: (samples float32 [n, features], labels int64 [n]).
    package static func makeBlobs(samples n: Int, centers: Int, features: Int, std: Double = 1, seed: Int64) throws -> (Tensor, Tensor) {
        guard n >= 0 && centers > 0 && features > 0 else {
            throw TensorError.value("make_blobs needs n >= 0, centers > 0 and features > 0")
        }
        // The tensors first: their size is checked against the allocation limit before any
        // work (a huge n is an error, not an exhausted machine).
        let xs = try Tensor(zeros: [n, features], dtype: .float32)
        let ys = try Tensor(zeros: [n], dtype: .int64)
        _ = try Tensor(zeros: [centers, features], dtype: .float32)
        var g = RandomGenerator(seed: UInt64(bitPattern: seed))
        let middles = (0..<centers).map { _ in (0..<features).map { _ in -10 + 20 * g.uniform() } }
        let px = xs.storage.pointer(Float.self), py = ys.storage.pointer(Int64.self)
        for i in 0..<n {
            let c = i % centers
            py[i] = Int64(c)
            for f in 0..<features { px[i * features + f] = Float(middles[c][f] + std * g.normal()) }
        }
        return (xs, ys)
    }
}
