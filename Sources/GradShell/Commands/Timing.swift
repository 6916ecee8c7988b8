import Foundation

/// Repeated measurement, as `timeit` does it: each sample times a loop of runs long enough
/// to read (about 20 ms), several samples give the median and the spread, so one noisy
/// run is never reported as the answer.
package struct Timing {
    /// Seconds per run, one entry per sample.
    package let perRun: [Double]
    /// Runs in each sample.
    package let loops: Int

    package init(perRun: [Double], loops: Int) {
        self.perRun = perRun
        self.loops = loops
    }

    package var median: Double {
        let s = perRun.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    var fastest: Double { perRun.min() ?? 0 }
    var slowest: Double { perRun.max() ?? 0 }

    static let samples = 7
    static let sampleSeconds = 0.02
    /// A statement slower than this is sampled fewer times (at least 3), to stay under it.
    static let budgetSeconds = 3.0

    /// `median 1.23 ms (1.20–1.31 ms over 7 samples of 100 runs)`.
    var summary: String {
        if ShellCommands.stableOutput { return "median - (spread and sample sizes are left out of stable output)" }
        return "median \(Self.seconds(median)) (\(Self.seconds(fastest))–\(Self.seconds(slowest)) over \(perRun.count) samples of \(loops) run\(loops == 1 ? "" : "s"))"
    }

    /// Whether the two spreads overlap, so the difference between them is noise.
    package func overlaps(_ other: Timing) -> Bool {
        fastest <= other.slowest && other.fastest <= slowest
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Times `bodies` side by side: each is calibrated on its own, then the samples take
    /// turns (one of each, again and again), so a change in the machine's load falls on all.
    static func measure(_ bodies: [() throws -> Void]) throws -> [Timing] {
        var loops: [Int] = []
        var sampleCount = samples
        for body in bodies {
            // The first run warms caches and allocations up; a second one is timed, unless
            // the first was slow enough to time already.
            var start = now()
            try body()
            if Double(now() - start) / 1e9 < 0.5 {
                start = now()
                try body()
            }
            let one = Swift.max(Double(now() - start) / 1e9, 1e-9)
            let n = Swift.max(1, Int(sampleSeconds / one))
            loops.append(n)
            // A slow statement gets fewer samples (at least one), to stay near the budget.
            let affordable = Int(budgetSeconds / Double(bodies.count) / (one * Double(n)))
            sampleCount = Swift.min(sampleCount, Swift.max(affordable >= 3 ? 3 : 1, affordable))
        }
        var perRun = Array(repeating: [Double](), count: bodies.count)
        for _ in 0..<sampleCount {
            for (i, body) in bodies.enumerated() {
                let start = now()
                for _ in 0..<loops[i] { try body() }
                perRun[i].append(Double(now() - start) / 1e9 / Double(loops[i]))
            }
        }
        return bodies.indices.map { Timing(perRun: perRun[$0], loops: loops[$0]) }
    }

    static func seconds(_ s: Double) -> String { ShellCommands.seconds(s) }
}
