import Foundation
import Testing

import FuzzTargets

/// The committed corpora (Fuzz/corpus/<target>/ and Fuzz/regressions/<target>/), replayed through the fuzz entry functions.
///
/// Each target's inputs run in a child process (an exit test), so an input
/// that still crashes fails its target's test and names the file, and the rest
/// of the run goes on.
@Suite struct FuzzRegressionTests {
    @Test("every seed and regression input runs without a crash", arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) async throws {
        let inputs = CommittedCorpus.inputs(of: target)
        #expect(!inputs.isEmpty, "no committed inputs for \(target.rawValue)")
        let passed = await #expect(processExitsWith: .success) { [target] in
            CommittedCorpus.replayAll(of: target)
        }
        guard passed == nil else { return }
        // It crashed: run it again to name the input (a failed expectation returns no output).
        let crash = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [target] in
            CommittedCorpus.replayAll(of: target)
        }
        let log = crash.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        let last = log.split(separator: "\n").last { $0.hasPrefix("replaying ") } ?? "(no input named)"
        Issue.record("\(target.rawValue) crashed \(last):\n\(log.suffix(3000))")
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

    /// Runs every input of `target`, naming each on standard error first so a crash can be traced to its file.
    static func replayAll(of target: FuzzTarget) {
        for url in inputs(of: target) {
            FileHandle.standardError.write(Data("replaying \(url.lastPathComponent)\n".utf8))
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            target.entry([UInt8](data))
        }
    }
}
