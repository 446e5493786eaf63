import Foundation

/// The signature of libFuzzer's per-input callback, `LLVMFuzzerTestOneInput`.
public typealias FuzzerCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

#if FUZZING
/// libFuzzer's driver (libclang_rt.fuzzer): parses libFuzzer's flags and runs `callback` on every input it makes.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzerCallback
) -> Int32
#endif

/// The `main` of a fuzzer executable: libFuzzer's driver when built with `-DFUZZING`, else the replay tool.
///
/// SwiftPM renames an executable's entry point on Linux, so libFuzzer's own
/// `main` cannot be used; `LLVMFuzzerRunDriver` is its documented replacement.
public enum FuzzMain {
    /// Fuzzes `target` through `callback` (the executable's exported `LLVMFuzzerTestOneInput`), or replays files through it.
    public static func run(_ target: FuzzTarget, callback: FuzzerCallback) -> Never {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
        #else
        FuzzReplay.run(name: target.product, entry: target.entry)
        #endif
    }
}

extension FuzzTarget {
    /// Runs one input given as libFuzzer passes it; always returns 0 (libFuzzer's "keep going").
    public func run(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        entry(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
}
