import FuzzTargets

/// libFuzzer's per-input entry point, exported under its C name: one input through `FuzzTarget.pipeline`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.pipeline.run(data, size)
}

/// Fuzzes `FuzzTarget.pipeline` when built by `make fuzz` (`-DFUZZING`); otherwise replays the files or directories named on the command line.
@main
struct PipelineFuzzer {
    static func main() {
        FuzzMain.run(.pipeline, callback: fuzzOneInput)
    }
}
