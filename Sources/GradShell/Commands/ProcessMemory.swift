import CMalloc
import Foundation

/// What the operating system says the process holds: resident memory now and its peak.
/// Tensor byte counts say what the program keeps; these say what it costs, allocator and
/// libraries included, the figure `top` or a benchmark would show.
struct ProcessMemory {
    let residentBytes: Int
    let peakResidentBytes: Int
    /// Memory the program freed that the allocator keeps, resident, for its next requests
    /// (glibc's count of free bytes in its heap); nil where the allocator does not say.
    let freedKeptBytes: Int?

    /// Read from /proc/self/status; nil where that file does not exist (not Linux).
    static func current() -> ProcessMemory? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func kibibytes(_ key: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
        }
        guard let rss = kibibytes("VmRSS"), let peak = kibibytes("VmHWM") else { return nil }
        #if canImport(Glibc)
        let freed: Int? = Int(mallinfo2().fordblks)
        #else
        let freed: Int? = nil
        #endif
        return ProcessMemory(residentBytes: rss * 1024, peakResidentBytes: peak * 1024, freedKeptBytes: freed)
    }
}
