import Foundation

/// The seeded generator behind `rand`, `randn`, `randint`, shuffling and dropout masks:
/// the same seed gives the same numbers on every run and every machine (xoshiro256**).
package struct RandomGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Double?

    package init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    package mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    package mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box-Muller).
    package mutating func normal() -> Double {
        if let n = spareNormal { spareNormal = nil; return n }
        var u1 = uniform()
        while u1 <= Double.leastNormalMagnitude { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = r * Foundation.sin(2 * .pi * u2)
        return r * Foundation.cos(2 * .pi * u2)
    }

    /// Uniform integer in `low..<high` without modulo bias.
    package mutating func integer(_ low: Int64, _ high: Int64) -> Int64 {
        let span = UInt64(bitPattern: high &- low)
        if span == 0 { return low }
        let limit = UInt64.max - UInt64.max % span
        var v = next()
        while v >= limit { v = next() }
        return low &+ Int64(bitPattern: v % span)
    }
}

/// The process's default generator, reseeded by `manual_seed`.
/// Each thread has its own (one thread evaluates).
package enum DefaultGenerator {
    /// The generator's whole state, to save and put back (a failed statement draws nothing).
    package static var shared: RandomGenerator {
        get { ThreadState.current.generator }
        set { ThreadState.current.generator = newValue }
    }

    package static func seed(_ n: Int64) { shared = RandomGenerator(seed: UInt64(bitPattern: n)) }

    /// Draws with the generator in place: one thread-local lookup for a whole tensor.
    @inline(__always)
    package static func draw<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        try body(&ThreadState.current.generator)
    }
}

extension Tensor {
    package static func rand(_ shape: [Int]) throws -> Tensor {
        let t = try Tensor(zeros: shape, dtype: .float32)
        let p = t.storage.pointer(Float.self)
        DefaultGenerator.draw { g in for i in 0..<t.numel { p[i] = Float(g.uniform()) } }
        return t
    }

    package static func randn(_ shape: [Int]) throws -> Tensor {
        let t = try Tensor(zeros: shape, dtype: .float32)
        let p = t.storage.pointer(Float.self)
        DefaultGenerator.draw { g in for i in 0..<t.numel { p[i] = Float(g.normal()) } }
        return t
    }

    package static func randint(_ low: Int64, _ high: Int64, _ shape: [Int]) throws -> Tensor {
        guard low < high else {
            throw TensorError.runtime("random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)")
        }
        let t = try Tensor(zeros: shape, dtype: .int64)
        let p = t.storage.pointer(Int64.self)
        DefaultGenerator.draw { g in for i in 0..<t.numel { p[i] = g.integer(low, high) } }
        return t
    }

    /// A random permutation of `0..<n` (Fisher-Yates), for shuffling data loaders.
    package static func randperm(_ n: Int) throws -> Tensor {
        // Allocated as a tensor first, so a huge n meets the allocation limit's error.
        let t = try Tensor(zeros: [Swift.max(n, 0)], dtype: .int64)
        let p = t.storage.pointer(Int64.self)
        for i in 0..<Swift.max(n, 0) { p[i] = Int64(i) }
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(DefaultGenerator.draw { $0.integer(0, Int64(i + 1)) })
                (p[i], p[j]) = (p[j], p[i])
            }
        }
        return t
    }
}
