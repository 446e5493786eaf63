import FuzzTargets

/// libFuzzer's per-input entry point, exported under its C name: one input through `FuzzTarget.config`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.config.run(data, size)
}

/// Fuzzes `FuzzTarget.config` when built by `make fuzz` (`-DFUZZING`); otherwise replays the files or directories named on the command line.
@main
struct ConfigFuzzer {
    static func main() {
        FuzzMain.run(.config, callback: fuzzOneInput)
    }
}
