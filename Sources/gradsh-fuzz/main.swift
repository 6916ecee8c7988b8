// The fuzz target: bytes in, through the lexer, parser and interpreter, with small size
// and time limits. Build it with
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
//     -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld \
//     --product gradsh-fuzz --build-path .build-fuzz
// and run it with SWIFT_BACKTRACE=enable=no (see scripts/fuzz). A plain build makes a stub.
import GradCore
import GradLang

#if FUZZING
import CFuzzerDriver
import Foundation

/// Runs one input as a script and checks that the session is left consistent.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let source = String(decoding: bytes, as: UTF8.self)
    AllocationLimit.maxBytes = 64 << 20
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
