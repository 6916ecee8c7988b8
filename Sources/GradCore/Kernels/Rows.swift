/// Folds over one contiguous run of floats: the inner loops of sums, means and the
/// softmax family. Each keeps eight independent partial results, so the loop is limited by
/// throughput rather than by waiting on one running total, and the compiler can pack the
/// lanes into vector registers.
extension Kernel {
    /// Σ p[0..<n], accumulated in Double (more exact than PyTorch's float lanes, so results
    /// agree with it to the last displayed digit and usually to the last bit).
    @inline(__always)
    /// The sum of a long row, in chunks between which an interruption is noticed.
    static func interruptibleSum(_ p: UnsafePointer<Float>, _ n: Int) throws -> Double {
        var total = 0.0
        try Interruption.chunked(n) { r in total += sum(p + r.lowerBound, r.count) }
        return total
    }

    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
        var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0, a7 = 0.0
        var k = 0
        while k + 8 <= n {
            a0 += Double(p[k]); a1 += Double(p[k + 1]); a2 += Double(p[k + 2]); a3 += Double(p[k + 3])
            a4 += Double(p[k + 4]); a5 += Double(p[k + 5]); a6 += Double(p[k + 6]); a7 += Double(p[k + 7])
            k += 8
        }
        while k < n {
            a0 += Double(p[k])
            k += 1
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    }

    /// Σ p[k]·q[k] over k < n, accumulated in Double like `sum`.
    @inline(__always)
    static func dot(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ n: Int) -> Double {
        var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
        var k = 0
        while k + 4 <= n {
            a0 += Double(p[k] * q[k]); a1 += Double(p[k + 1] * q[k + 1])
            a2 += Double(p[k + 2] * q[k + 2]); a3 += Double(p[k + 3] * q[k + 3])
            k += 4
        }
        while k < n {
            a0 += Double(p[k] * q[k])
            k += 1
        }
        return (a0 + a1) + (a2 + a3)
    }

    /// The largest of p[0..<n] (n ≥ 1); NaN as soon as any element is NaN.
    @inline(__always)
    static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float { extreme(p, n) { $0 > $1 } }

    /// The smallest of p[0..<n] (n ≥ 1); NaN as soon as any element is NaN.
    @inline(__always)
    static func min(_ p: UnsafePointer<Float>, _ n: Int) -> Float { extreme(p, n) { $0 < $1 } }

    /// The element that `beats` every other, keeping the first of equals; NaN is sticky.
    @inline(__always)
    private static func extreme(_ p: UnsafePointer<Float>, _ n: Int, _ beats: (Float, Float) -> Bool) -> Float {
        @inline(__always) func pick(_ m: Float, _ v: Float) -> Float { beats(v, m) || v.isNaN ? v : m }
        var m0 = p[0], m1 = p[0], m2 = p[0], m3 = p[0]
        var k = 1
        while k + 4 <= n {
            m0 = pick(m0, p[k]); m1 = pick(m1, p[k + 1]); m2 = pick(m2, p[k + 2]); m3 = pick(m3, p[k + 3])
            k += 4
        }
        while k < n {
            m0 = pick(m0, p[k])
            k += 1
        }
        return pick(pick(m0, m1), pick(m2, m3))
    }
}
