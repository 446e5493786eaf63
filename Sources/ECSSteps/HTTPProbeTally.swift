import Foundation
import StepContracts

/// The pure core of `verify.http`: probe outcomes in, a line per probe and the verdict out.
///
/// A probe passes when it was answered with a status in `expect` and, when a
/// body pattern was asked for, a body that matches it. The verification passes
/// when at least `needed` (`minSuccessRatio` of `requests`, rounded up) passed.
/// The verdict names the status (`200`) when every answer had that one status,
/// else the range (`200-399`), and, when some probes did not pass, how
/// each of them went: `14/20 requests answered 200-399 in 2.1 s (6 answered 500); at least 20 needed`.
package struct HTTPProbeTally {
    /// How many probes the step makes.
    package let requests: Int
    /// The statuses that count.
    package let expect: HTTPStatusRange
    /// The share of probes that must pass.
    package let minSuccessRatio: Double
    /// The body pattern as written (for the lines), nil when none was asked for.
    package let bodyPattern: String?
    /// Probes recorded so far.
    package private(set) var probes = 0
    /// Probes that passed so far.
    package private(set) var passed = 0
    /// Every status answered, with how often.
    private var statuses: [Int: Int] = [:]
    /// Answers with a status that counts whose body did not match, by status.
    private var bodyMismatches: [Int: Int] = [:]
    /// Probes with no answer, by reason, in the order first seen.
    private var failures: [(reason: String, count: Int)] = []

    /// Starts a tally of `requests` probes.
    package init(requests: Int, expect: HTTPStatusRange, minSuccessRatio: Double, bodyPattern: String? = nil) {
        self.requests = max(0, requests)
        self.expect = expect
        self.minSuccessRatio = minSuccessRatio.isNaN ? 1 : min(max(minSuccessRatio, 0), 1)
        self.bodyPattern = bodyPattern
    }

    /// How many probes must pass: `minSuccessRatio` of `requests`, rounded up (a hair below, so 0.7 × 20 is 14, not 15).
    package var needed: Int {
        let exact = minSuccessRatio * Double(requests)
        return min(requests, max(0, Int((exact - 1e-9).rounded(.up))))
    }

    /// Records one probe that took `elapsed`; returns its log line, e.g. `probe 4/20: 500 in 9 ms (expected 200-399)`.
    package mutating func record(_ outcome: HTTPProbeOutcome, elapsed: Duration) -> String {
        probes += 1
        let head = "probe \(probes)/\(requests): "
        switch outcome {
        case .failed(let reason):
            if let i = failures.firstIndex(where: { $0.reason == reason }) {
                failures[i].count += 1
            } else {
                failures.append((reason, 1))
            }
            return head + reason
        case .answered(let status, let bodyMatched):
            statuses[status, default: 0] += 1
            let took = "\(status) in \(Self.milliseconds(elapsed)) ms"
            guard expect.contains(status) else { return head + took + " (expected \(expect))" }
            if bodyMatched == false {
                bodyMismatches[status, default: 0] += 1
                return head + took + " (body does not match '\(Self.shown(bodyPattern ?? ""))')"
            }
            passed += 1
            return head + took
        }
    }

    /// Whether enough probes passed.
    package var verdictPassed: Bool { passed >= needed }

    /// The verdict line after `elapsed` in all, e.g. `20/20 requests answered 200 in 2.1 s`.
    package func verdict(elapsed: Duration) -> String {
        let only = statuses.count == 1 ? statuses.first.map(\.key) : nil
        let answered = only.map { expect.contains($0) ? "\($0)" : "\(expect)" } ?? "\(expect)"
        var line = "\(passed)/\(requests) requests answered \(answered) in \(Self.seconds(elapsed)) s"
        var others: [String] = []
        for (status, count) in statuses.sorted(by: { $0.key < $1.key }) where !expect.contains(status) {
            others.append("\(count) answered \(status)")
        }
        for (status, count) in bodyMismatches.sorted(by: { $0.key < $1.key }) {
            others.append("\(count) answered \(status) with a body not matching '\(Self.shown(bodyPattern ?? ""))'")
        }
        for f in failures { others.append("\(f.count) failed: \(f.reason)") }
        if !others.isEmpty { line += " (" + others.joined(separator: ", ") + ")" }
        if !verdictPassed { line += "; at least \(needed) needed" }
        return line
    }

    /// A duration in whole milliseconds.
    package static func milliseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        guard s >= 0 else { return 0 }
        return min(s, 1_000_000_000_000) * 1000 + atto / 1_000_000_000_000_000
    }

    /// A duration in seconds with one decimal, e.g. `2.1`.
    package static func seconds(_ d: Duration) -> String {
        String(format: "%.1f", Double(milliseconds(d)) / 1000)
    }

    /// A pattern as the lines show it: at most 64 characters.
    static func shown(_ pattern: String) -> String {
        pattern.count > 64 ? pattern.prefix(64) + "…" : pattern
    }
}
