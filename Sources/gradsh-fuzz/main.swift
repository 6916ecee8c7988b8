// The fuzz target: bytes in, through the lexer, parser and interpreter, with small size
// and time limits. Build it with
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
//     -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld \
//     --product gradsh-fuzz --build-path .build-fuzz
// and run it with SWIFT_BACKTRACE=enable=no (see scripts/fuzz). A plain build makes a stub.
// With GRADSH_FUZZ_STRUCTURED=1 the bytes are not the program but the choices that build
// one from the shell's own tables (AdversarialProgram): every builtin and method called
// with adversarial arguments.
import GradCore
import GradFuzzing
import GradLang

#if FUZZING
import CFuzzerDriver
import Foundation

let structured = ProcessInfo.processInfo.environment["GRADSH_FUZZ_STRUCTURED"] == "1"

/// The program the bytes stand for: the bytes themselves, or the adversarial program
/// their values choose (two bytes per choice, zeros once they run out).
func program(from bytes: [UInt8]) -> String {
    guard structured else { return String(decoding: bytes, as: UTF8.self) }
    var position = 0
    func choose(_ n: Int) -> Int {
        var value = 0
        for _ in 0..<2 where position < bytes.count {
            value = value << 8 | Int(bytes[position])
            position += 1
        }
        return value % n
    }
    return AdversarialProgram.program(statements: 1 + bytes.count / 24, choose)
}

/// Runs one input as a script and checks that the session is left consistent.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let source = program(from: bytes)
    // GRADSH_FUZZ_PRINT=1 with a crash file as the only input shows the program it stands for.
    if ProcessInfo.processInfo.environment["GRADSH_FUZZ_PRINT"] == "1" {
        FileHandle.standardError.write(Data((source + "\n").utf8))
    }
    MemoryBudget.bytes = 64 << 20
    GradModeState.reset()
    let session = Session()
    session.interpreter.maxCallDepth = 60
    session.interpreter.statementTimeLimit = 0.05
    session.run(source: source) { _ in }
    session.interpreter.reset()
    // Whatever ran, the grad mode must be exactly as it was before.
    if GradModeState.current != .initial && !session.interpreter.globals.names.isEmpty {
        GradModeState.reset()
    }
    return 0
}

/// libFuzzer's library refers to this entry point even when its driver is called directly.
@_cdecl("LLVMFuzzerTestOneInput")
package func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(data, size)
}

let arguments = CommandLine.arguments
var argc = Int32(arguments.count)
var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
cArguments.withUnsafeMutableBufferPointer { buffer in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    _ = LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) }
}
#else
print("gradsh-fuzz was built without fuzzing support; see scripts/fuzz")
#endif
