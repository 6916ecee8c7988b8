import Foundation

/// The history file, as shells keep theirs: read at start, one entry appended after each
/// statement, and only ever a regular file that the user owns. Anything else (a device,
/// a FIFO, a directory, someone else's file, a symlink) means no history for this
/// session: nothing is read from it, written to it, truncated or chmodded.
///
/// One entry per line; a newline inside an entry (a block) is `\n` and a backslash `\\`.
/// Files written by libedit (`_HiStOrY_V2_`, octal escapes) are read too.
struct HistoryFile {
    let path: String
    /// Entries to load at start-up: the newest ones, as many as the line editor keeps.
    static let kept = 5000

    /// `$GRADSH_HISTORY`, else `~/.gradsh_history` with `~` from `$HOME` (as shells do),
    /// and from the password file only when `HOME` is unset.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let p = environment["GRADSH_HISTORY"], !p.isEmpty { return p }
        if let home = environment["HOME"], !home.isEmpty { return (home as NSString).appendingPathComponent(".gradsh_history") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".gradsh_history").path
    }

    /// Whether `fd` (or, with -1, the file at `path`, without following a symlink) is a
    /// regular file owned by this user.
    private static func isOwnRegularFile(fd: Int32, path: String) -> Bool {
        var info = stat()
        let status = fd >= 0 ? fstat(fd, &info) : lstat(path, &info)
        return status == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_uid == geteuid()
    }

    /// The saved entries, oldest first (at most `kept`); none when the file is missing or
    /// is not the user's own regular file.
    func load() -> [String] {
        guard HistoryFile.isOwnRegularFile(fd: -1, path: path) else { return [] }
        // O_NONBLOCK: even if the file were swapped for a FIFO after the check, opening
        // cannot hang; the check is then repeated on what was opened.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return [] }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        guard HistoryFile.isOwnRegularFile(fd: fd, path: path),
              let data = try? handle.readToEnd(), let text = String(data: data, encoding: .utf8) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let libedit = lines.first == "_HiStOrY_V2_"
        if libedit { lines.removeFirst() }
        return lines.suffix(HistoryFile.kept).map { libedit ? HistoryFile.decodeOctal($0) : HistoryFile.decode($0) }
    }

    /// Appends one entry; false when the file cannot be the history (then the session
    /// stops keeping history).
    func append(_ entry: String) -> Bool {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard HistoryFile.isOwnRegularFile(fd: fd, path: path) else { return false }
        let line = Array((HistoryFile.encode(entry) + "\n").utf8)
        return line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == line.count
    }

    static func encode(_ entry: String) -> String {
        entry.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func decode(_ line: String) -> String {
        var out = ""
        var escaped = false
        for c in line {
            if escaped {
                out.append(c == "n" ? "\n" : c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// libedit's strvis form: `\ooo` octal bytes and `\\`.
    static func decodeOctal(_ line: String) -> String {
        var bytes: [UInt8] = []
        let u = Array(line.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 4 <= u.count,
               let v = UInt8(String(decoding: u[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8) {
                bytes.append(v)
                i += 4
            } else if u[i] == UInt8(ascii: "\\"), i + 1 < u.count {
                bytes.append(u[i + 1])
                i += 2
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
