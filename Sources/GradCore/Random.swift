import Foundation

/// PyTorch's CPU generator, reproduced bit for bit: the mt19937 engine seeded as
/// `torch.manual_seed` seeds it, and PyTorch's own transforms from its 32- and 64-bit draws
/// (`aten/src/ATen/core/TransformationHelper.h`, `DistributionsHelper.h`), so
/// `manual_seed(0); randn(3)` gives PyTorch's `[1.5410, -0.2934, -2.1788]`.
package struct RandomGenerator {
    private var state: [UInt32]
    private var index = 624
    /// The seed it was made from (`torch.initial_seed()`).
    package let seed: UInt64
    /// Box-Muller makes two normals at a time; PyTorch keeps the second for the next draw.
    private var nextDoubleNormal: Double?

    package init(seed: UInt64) {
        self.seed = seed
        var s = [UInt32](repeating: 0, count: 624)
        s[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<624 { s[j] = 1_812_433_253 &* (s[j - 1] ^ (s[j - 1] >> 30)) &+ UInt32(j) }
        state = s
    }

    /// The engine's next 32 bits (mt19937's twist and tempering).
    package mutating func random32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        state.withUnsafeMutableBufferPointer { s in
            for k in 0..<624 {
                let y = (s[k] & 0x8000_0000) | (s[(k + 1) % 624] & 0x7FFF_FFFF)
                var v = s[(k + 397) % 624] ^ (y >> 1)
                if y & 1 != 0 { v ^= 0x9908_B0DF }
                s[k] = v
            }
        }
        index = 0
    }

    /// Two draws, the first as the high half (PyTorch's `random64`).
    package mutating func random64() -> UInt64 {
        let high = UInt64(random32()), low = UInt64(random32())
        return high << 32 | low
    }

    /// `uniform_real_distribution<float>`: 24 random bits scaled into [from, to) with one
    /// fused multiply-add, as PyTorch's compiled kernel computes it.
    package mutating func uniformFloat(_ from: Float = 0, _ to: Float = 1) -> Float {
        let x = Float(random32() & 0xFF_FFFF) * 0x1p-24
        return from.addingProduct(x, to - from)
    }

    /// `uniform_real_distribution<double>`: 53 bits of a 64-bit draw, in [0, 1).
    package mutating func uniform() -> Double {
        Double(random64() & (1 << 53 - 1)) * 0x1p-53
    }

    /// `normal_distribution<double>`: Box-Muller on two uniforms, the sine half kept for
    /// the next call.
    package mutating func normal() -> Double {
        if let cached = nextDoubleNormal {
            nextDoubleNormal = nil
            return cached
        }
        let u1 = uniform(), u2 = uniform()
        let r = (-2 * Foundation.log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        nextDoubleNormal = r * Foundation.sin(theta)
        return r * Foundation.cos(theta)
    }

    /// `random_(low, high)`: a draw modulo the range, as PyTorch's `uniform_int_from_to`.
    package mutating func integer(_ low: Int64, _ high: Int64) -> Int64 {
        let range = UInt64(bitPattern: high &- low)
        if range == 0 { return low }
        let draw = range >= 1 << 32 ? random64() : UInt64(random32())
        return low &+ Int64(bitPattern: draw % range)
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

    /// PyTorch's default seed when none was set.
    static let defaultSeed: UInt64 = 67_280_421_310_721

    /// Draws with the generator in place: one thread-local lookup for a whole tensor.
    @inline(__always)
    package static func draw<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        try body(&ThreadState.current.generator)
    }
}

/// Filling tensors as PyTorch's CPU kernels fill them (`native/cpu/DistributionTemplates.h`).
enum RandomFill {
    /// `normal_`: 16 or more floats are made 16 at a time from 16 uniforms (the first 8
    /// give radii, the last 8 angles; a tail that is not a multiple of 16 redraws the last
    /// 16); fewer come one by one from the double-precision Box-Muller.
    static func normal(_ p: UnsafeMutablePointer<Float>, count n: Int, mean: Double, std: Double, _ g: inout RandomGenerator) {
        guard n >= 16 else {
            for i in 0..<n { p[i] = Float(g.normal() * std + mean) }
            return
        }
        let m = Float(mean), s = Float(std)
        for i in 0..<n { p[i] = g.uniformFloat() }
        var i = 0
        while i < n - 15 {
            normal16(p + i, mean: m, std: s)
            i += 16
        }
        if n % 16 != 0 {
            let tail = p + (n - 16)
            for k in 0..<16 { tail[k] = g.uniformFloat() }
            normal16(tail, mean: m, std: s)
        }
    }

    /// PyTorch's AVX2 Box-Muller on 16 uniforms, with its own float log and sincos
    /// (Cephes polynomials, as `avx_mathfun.h` has them, multiply-adds fused as the
    /// compiler fuses them there), so every bit agrees.
    private static func normal16(_ d: UnsafeMutablePointer<Float>, mean: Float, std: Float) {
        let twoPi = Float(2 * Double.pi)
        for j in 0..<8 {
            let u1 = 1 - d[j], u2 = d[j + 8]
            let radius = (-2 * CephesFloat.log(u1)).squareRoot()
            let (sine, cosine) = CephesFloat.sincos(twoPi * u2)
            d[j] = mean.addingProduct(radius * cosine, std)
            d[j + 8] = mean.addingProduct(radius * sine, std)
        }
    }
}

/// Single-precision log and sincos by the Cephes polynomials (`avx_mathfun.h`), the
/// functions PyTorch's vectorised `randn` uses.
enum CephesFloat {
    static func log(_ input: Float) -> Float {
        if input.isNaN || input < 0 { return .nan }
        if input == 0 { return -.infinity }
        var x = Swift.max(input, Float(bitPattern: 0x0080_0000))
        let exponent = Int32(bitPattern: x.bitPattern >> 23) - 0x7F
        x = Float(bitPattern: (x.bitPattern & ~UInt32(0x7F80_0000)) | Float(0.5).bitPattern)
        var e = Float(exponent) + 1
        let small = x < 0.707106781186547524
        let tmp: Float = small ? x : 0
        x = x - 1
        e = e - (small ? 1 : 0)
        x = x + tmp
        let z = x * x
        var y: Float = 7.0376836292e-2
        for c: Float in [-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
                         -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1] {
            y = c.addingProduct(y, x)
        }
        y = y * x
        y = (e * -2.12194440e-4).addingProduct(y, z)
        y = y.addingProduct(z, -0.5)
        x = x + y
        return x.addingProduct(e, 0.693359375)
    }

    static func sincos(_ input: Float) -> (sin: Float, cos: Float) {
        var signSin = input.bitPattern & 0x8000_0000
        var x = Float(bitPattern: input.bitPattern & 0x7FFF_FFFF)
        // The octant, made even, and the argument reduced by it in three parts.
        var j = Int32(x * 1.27323954473516)
        j = (j &+ 1) & ~1
        let y = Float(j)
        let swapSin = UInt32(bitPattern: (j & 4) << 29)
        let sinePolynomial = j & 2 == 0
        x = x.addingProduct(y, -0.78515625)
        x = x.addingProduct(y, -2.4187564849853515625e-4)
        x = x.addingProduct(y, -3.77489497744594108e-8)
        let signCos = UInt32(bitPattern: (~(j &- 2) & 4) << 29)
        signSin ^= swapSin
        let z = x * x
        var c: Float = 2.443315711809948e-5
        c = Float(-1.388731625493765e-3).addingProduct(c, z)
        c = Float(4.166664568298827e-2).addingProduct(c, z)
        c = c * z
        c = (-(z * 0.5)).addingProduct(c, z)
        c = c + 1
        var s: Float = -1.9515295891e-4
        s = Float(8.3321608736e-3).addingProduct(s, z)
        s = Float(-1.6666654611e-1).addingProduct(s, z)
        s = s * z
        s = x.addingProduct(s, x)
        let sine = sinePolynomial ? s : c, cosine = sinePolynomial ? c : s
        return (Float(bitPattern: sine.bitPattern ^ signSin), Float(bitPattern: cosine.bitPattern ^ signCos))
    }
}

extension Tensor {
    package static func rand(_ shape: [Int]) throws -> Tensor {
        let t = try Tensor(zeros: shape, dtype: .float32)
        let p = t.storage.pointer(Float.self)
        DefaultGenerator.draw { g in for i in 0..<t.numel { p[i] = g.uniformFloat() } }
        return t
    }

    package static func randn(_ shape: [Int]) throws -> Tensor {
        let t = try Tensor(zeros: shape, dtype: .float32)
        let p = t.storage.pointer(Float.self)
        DefaultGenerator.draw { g in RandomFill.normal(p, count: t.numel, mean: 0, std: 1, &g) }
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

    /// A random permutation of `0..<n`, drawn as PyTorch's `randperm` draws it (each
    /// position swapped with one at or after it), for shuffling data loaders too.
    package static func randperm(_ n: Int) throws -> Tensor {
        // Allocated as a tensor first, so a huge n meets the allocation limit's error.
        let t = try Tensor(zeros: [Swift.max(n, 0)], dtype: .int64)
        let p = t.storage.pointer(Int64.self)
        for i in 0..<Swift.max(n, 0) { p[i] = Int64(i) }
        if n > 1 {
            DefaultGenerator.draw { g in
                for i in 0..<(n - 1) {
                    let z = Int(UInt64(g.random32()) % UInt64(n - i))
                    (p[i], p[z + i]) = (p[z + i], p[i])
                }
            }
        }
        return t
    }
}
