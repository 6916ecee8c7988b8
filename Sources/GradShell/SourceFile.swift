import Foundation

/// A script named on the command line or by `:load`: opened once, so that a pipe
/// (`gradsh <(make-lesson)`) or a FIFO works like a file, and a failure says why in the
/// words `ls` and `cat` use (no such file, is a directory, too many symbolic links).
enum SourceFile {
    /// Scripts read whole (for `--echo`, `--step` and `:load`) stop here: past this size
    /// the input is not a script.
    static let largestWhole = 256 << 20
    static let tooLarge = "longer than \(largestWhole >> 20) MiB, which is not a script"

    /// An open descriptor for `path`, or the reason it cannot be read.
    static func open(_ path: String) -> Result<Int32, Failure> {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(errno: errno)) }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            return .failure(Failure(reason: "is a directory"))
        }
        return .success(fd)
    }

    /// `path` read whole, at most `largestWhole` bytes.
    static func contents(of path: String) -> Result<Data, Failure> {
        open(path).flatMap { fd in
            defer { close(fd) }
            var lines = ByteLines(fileDescriptor: fd)
            if let data = lines.readAll(upTo: largestWhole) { return .success(data) }
            return .failure(Failure(reason: lines.readFailure ?? tooLarge))
        }
    }

    /// Why Foundation could not write a file, in the same words.
    static func reason(_ error: Error) -> String {
        let e = error as NSError
        if let posix = e.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return Failure(errno: Int32(posix.code)).reason
        }
        if e.domain == NSPOSIXErrorDomain { return Failure(errno: Int32(e.code)).reason }
        switch e.code {
        case NSFileWriteNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on the device"
        case NSFileNoSuchFileError, NSFileWriteInvalidFileNameError: return "a folder on the path does not exist"
        default: return e.localizedDescription
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let reason: String
        init(reason: String) { self.reason = reason }
        init(errno code: Int32) {
            switch code {
            case ENOENT: reason = "no such file"
            case EACCES, EPERM: reason = "permission denied"
            case ELOOP: reason = "too many levels of symbolic links"
            case EISDIR: reason = "is a directory"
            case ENOTDIR: reason = "a part of the path is not a directory"
            default: reason = String(cString: strerror(code)).lowercased()
            }
        }
        var description: String { reason }
    }
}
