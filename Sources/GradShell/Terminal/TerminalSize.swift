import Foundation

/// The width of the terminal standard output is on, when it is one.
enum TerminalSize {
    static var columns: Int? {
        if let forced = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), forced > 0 { return forced }
        guard isatty(STDOUT_FILENO) != 0 else { return nil }
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
