import FuzzTargets

/// libFuzzer's per-input entry point, exported under its C name: one input through `FuzzTarget.protocol`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.protocol.run(data, size)
}

/// Fuzzes `FuzzTarget.protocol` when built by `make fuzz` (`-DFUZZING`); otherwise replays the files or directories named on the command line.
@main
struct ProtocolFuzzer {
    static func main() {
        FuzzMain.run(.protocol, callback: fuzzOneInput)
    }
}
