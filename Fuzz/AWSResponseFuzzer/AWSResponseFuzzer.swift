import FuzzTargets

/// libFuzzer's per-input entry point, exported under its C name: one input through `FuzzTarget.awsResponse`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.awsResponse.run(data, size)
}

/// Fuzzes `FuzzTarget.awsResponse` when built by `make fuzz` (`-DFUZZING`); otherwise replays the files or directories named on the command line.
@main
struct AWSResponseFuzzer {
    static func main() {
        FuzzMain.run(.awsResponse, callback: fuzzOneInput)
    }
}
