import Foundation
import Testing

import FuzzTargets

/// The committed corpora (Fuzz/corpus/<target>/ and Fuzz/regressions/<target>/), replayed through the fuzz entry functions.
///
/// Each target's inputs run in a child process, its fuzzer executable built
/// without `-DFUZZING` (which replays the files it is given), so an input that
/// still crashes fails its target's test and names the file, and the rest of
/// the run goes on. Not Swift Testing's exit tests: their monitor thread waits
/// on every child of the test process (`waitid(P_ALL, WNOWAIT)`) and spun at a
/// full core on the integration tests' exited children until they were reaped,
/// which, beside a CPU hog, stalled the whole run (issue 22).
@Suite struct FuzzRegressionTests {
    /// Where `swift build` put the executables (override with ECS_BIN_DIR).
    static let binDir: String = {
        if let d = ProcessInfo.processInfo.environment["ECS_BIN_DIR"] { return d }
        return CommittedCorpus.fuzzDirectory.deletingLastPathComponent().appendingPathComponent(".build/debug").path
    }()

    @Test("every seed and regression input runs without a crash", arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) async throws {
        let inputs = CommittedCorpus.inputs(of: target)
        #expect(!inputs.isEmpty, "no committed inputs for \(target.rawValue)")
        let executable = Self.binDir + "/" + target.product
        try #require(FileManager.default.isExecutableFile(atPath: executable), "\(executable) is not built: run `swift build --build-tests` (make test does)")
        let (status, output) = try await Self.run(executable, CommittedCorpus.directories(of: target))
        guard status != 0 else {
            #expect(output.contains("\(inputs.count) input(s) ran without a crash"), "\(output.suffix(2000))")
            return
        }
        // It crashed: the last input it named is the one.
        let last = output.split(separator: "\n").last { $0.hasPrefix("\(target.product): /") } ?? "(no input named)"
        Issue.record("\(target.rawValue) crashed (status \(status)) at \(last):\n\(output.suffix(3000))")
    }

    /// Runs `executable` with `arguments`; its termination status and its standard output and error, interleaved.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        let dir = NSTemporaryDirectory() + "fuzz-replay-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/output"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? handle.close()
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}

/// The inputs committed for each target, found from this file's place in the repository.
enum CommittedCorpus {
    /// The repository's `Fuzz` directory.
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    /// Seed inputs then regression inputs of `target`.
    static func inputs(of target: FuzzTarget) -> [URL] {
        ["corpus", "regressions"].flatMap {
            FuzzReplay.inputFiles(at: fuzzDirectory.appendingPathComponent($0).appendingPathComponent(target.rawValue).path)
        }
    }

    /// The corpus and regression directories of `target` that hold inputs.
    static func directories(of target: FuzzTarget) -> [String] {
        ["corpus", "regressions"].map { fuzzDirectory.appendingPathComponent($0).appendingPathComponent(target.rawValue).path }
            .filter { !FuzzReplay.inputFiles(at: $0).isEmpty }
    }
}
