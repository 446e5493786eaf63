import FuzzTargets

/// libFuzzer's per-input entry point, exported under its C name: one input through `FuzzTarget.manifest`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.manifest.run(data, size)
}

/// Fuzzes `FuzzTarget.manifest` when built by `make fuzz` (`-DFUZZING`); otherwise replays the files or directories named on the command line.
@main
struct ManifestFuzzer {
    static func main() {
        FuzzMain.run(.manifest, callback: fuzzOneInput)
    }
}
