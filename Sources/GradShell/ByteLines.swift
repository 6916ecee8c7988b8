import Foundation
import GradCore
import GradLang

/// Lines read as bytes, so that input which is not UTF-8 gets a located error (with the
/// byte offset) instead of being silently altered; NUL bytes and CRLF endings are handled.
struct ByteLines {
    enum Line {
        case text(String)
        /// Not UTF-8: the offset of the first bad byte in the whole input, and its column.
        case invalid(byteOffset: Int, column: Int, byte: UInt8)
        /// Longer than `longestLine` bytes (binary input, `/dev/zero`): its bytes are
        /// skipped up to the next newline instead of being held in memory.
        case tooLong(byteOffset: Int)
    }

    /// No program has a line this long; past it, input is garbage, not code.
    static let longestLine = 1 << 24

    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Where the unread part of `buffer` starts: lines are taken by moving it, not by
    /// removing bytes from the front, so reading is linear in the input's size.
    private var readIndex = 0
    private var consumed = 0
    private var atEnd = false
    /// Inside a line that was too long: bytes are dropped until its newline.
    private var skippingLongLine = false
    /// Why reading stopped early (a directory given as input, an I/O error), if it did.
    private(set) var readFailure: String?

    init(fileDescriptor: Int32) {
        fd = fileDescriptor
    }

    /// A whole input held in memory.
    init(data: Data) {
        fd = -1
        buffer = Array(data)
        atEnd = true
    }

    mutating func next() -> Line? {
        var searchFrom = readIndex
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                if !skippingLongLine && newline - readIndex > ByteLines.longestLine {
                    let start = consumed
                    consumed += newline + 1 - readIndex
                    readIndex = newline + 1
                    return .tooLong(byteOffset: start)
                }
                guard skippingLongLine else { return take(upTo: newline, skipping: 1) }
                // The end of a line already reported as too long.
                consumed += newline + 1 - readIndex
                (readIndex, searchFrom, skippingLongLine) = (newline + 1, newline + 1, false)
                continue
            }
            searchFrom = buffer.count
            if buffer.count - readIndex > ByteLines.longestLine && !skippingLongLine {
                let start = consumed
                consumed += buffer.count - readIndex
                buffer.removeAll(keepingCapacity: true)
                (readIndex, searchFrom, skippingLongLine) = (0, 0, true)
                return .tooLong(byteOffset: start)
            }
            if skippingLongLine && readIndex < buffer.count {
                // Garbage can be endless (`< /dev/zero`); Ctrl-C ends it.
                if Interruption.isRequested { atEnd = true; buffer.removeAll(); readIndex = 0; return nil }
                consumed += buffer.count - readIndex
                buffer.removeAll(keepingCapacity: true)
                (readIndex, searchFrom) = (0, 0)
            }
            if atEnd {
                guard readIndex < buffer.count, !skippingLongLine else { return nil }
                return take(upTo: buffer.count, skipping: 0)
            }
            // Drop what was read before appending, so the buffer holds about one chunk.
            if readIndex > 0 {
                buffer.removeSubrange(..<readIndex)
                searchFrom -= readIndex
                readIndex = 0
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, 65536) }
            // Ctrl-C while waiting for input ends the input (the runner reports it); any
            // other interrupted read is retried.
            if n < 0 && errno == EINTR {
                if Interruption.isRequested { atEnd = true; buffer.removeSubrange(readIndex...); return nil }
                continue
            }
            if n < 0 { readFailure = SourceFile.Failure(errno: errno).reason }
            if n <= 0 { atEnd = true } else { buffer += chunk[..<n] }
        }
    }

    /// Everything not yet read, at most `limit` bytes: nil when there is more (or when
    /// reading failed, with `readFailure` saying why).
    mutating func readAll(upTo limit: Int) -> Data? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !atEnd {
            if buffer.count - readIndex > limit { return nil }
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR && !Interruption.isRequested { continue }
            if n < 0 { readFailure = SourceFile.Failure(errno: errno).reason }
            if n <= 0 { atEnd = true } else { buffer += chunk[..<n] }
        }
        guard readFailure == nil, buffer.count - readIndex <= limit else { return nil }
        defer { (buffer, readIndex) = ([], 0) }
        return Data(buffer[readIndex...])
    }

    /// The line from the read position to `end`, moving past it and `skipping` more bytes.
    private mutating func take(upTo end: Int, skipping: Int) -> Line {
        var bytes = Array(buffer[readIndex..<end])
        let start = consumed
        consumed += bytes.count + skipping
        readIndex = end + skipping
        // A UTF-8 byte order mark at the very start is not part of the program, as in Python.
        if start == 0 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return decode(bytes, start: start)
    }

    private func decode(_ bytes: [UInt8], start: Int) -> Line {
        if let s = String(validating: bytes, as: UTF8.self) { return .text(s) }
        // Find the first byte that breaks the encoding.
        var i = 0
        var column = 1
        while i < bytes.count {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
            if length == 0 || i + length > bytes.count || String(validating: bytes[i..<i + length], as: UTF8.self) == nil {
                return .invalid(byteOffset: start + i, column: column, byte: b)
            }
            i += length
            column += 1
        }
        return .invalid(byteOffset: start, column: 1, byte: bytes.first ?? 0)
    }
}
