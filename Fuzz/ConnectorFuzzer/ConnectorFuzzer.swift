import FuzzTargets

/// libFuzzer's per-input entry point, exported under its C name: one input through `FuzzTarget.connector`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.connector.run(data, size)
}

/// Fuzzes `FuzzTarget.connector` when built by `make fuzz` (`-DFUZZING`); otherwise replays the files or directories named on the command line.
@main
struct ConnectorFuzzer {
    static func main() {
        FuzzMain.run(.connector, callback: fuzzOneInput)
    }
}
