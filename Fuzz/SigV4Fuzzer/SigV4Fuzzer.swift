import FuzzTargets

/// libFuzzer's per-input entry point, exported under its C name: one input through `FuzzTarget.sigv4`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.sigv4.run(data, size)
}

/// Fuzzes `FuzzTarget.sigv4` when built by `make fuzz` (`-DFUZZING`); otherwise replays the files or directories named on the command line.
@main
struct SigV4Fuzzer {
    static func main() {
        FuzzMain.run(.sigv4, callback: fuzzOneInput)
    }
}
