import DelegateProtocol
import DelegateRuntime
import Foundation
import HTTPClient
import StepContracts

/// `verify.http`: probes a URL `requests` times and passes when enough answers have the expected status (and body).
///
/// Each probe is one GET through the delegate's HTTP client, with no retry
/// (the AWS client's retries are not on this path) and no redirect followed,
/// limited to `timeoutSeconds`; `connectTo` sends the connection for a host and
/// port elsewhere (a load balancer through a tunnel, the simulator's loopback
/// listener). One line per probe, then the verdict, which is also the
/// outputs' `verdict` and, when it fails, the task's `VerificationFailed` message.
/// It changes nothing, so it records no snapshot.
struct VerifyHTTPStep: ECSStep {
    /// The task type it runs.
    static let type = TaskType.verifyHTTP
    /// What a cancellation message calls it.
    static let noun = "HTTP verification"

    /// Its payload, checked before anything runs.
    typealias Payload = HTTPVerifyPayload

    /// Runs the verification; returns `VerifyOutputs`, or throws `VerificationFailed` with them.
    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let unit = "Verify"
        let log = run.log
        let expect = try p.statusRange()
        let matcher = try p.bodyPattern().map { HTTPBodyMatcher(expression: $0) }
        let mappings = try p.connectMappings()
        let timeoutSeconds = p.timeoutSeconds ?? HTTPVerifyPayload.defaultTimeoutSeconds
        var tally = HTTPProbeTally(requests: p.requestCount, expect: expect, minSuccessRatio: p.successRatio, bodyPattern: p.expectBody)

        var plan = "Probing \(Self.shown(p.url)) \(tally.requests) time(s), \(UntrustedNumber.text(p.intervalSeconds ?? HTTPVerifyPayload.defaultIntervalSeconds)) s apart, expecting \(expect)"
        if let body = p.expectBody { plan += " and a body matching '\(HTTPProbeTally.shown(body))'" }
        if tally.needed < tally.requests { plan += "; at least \(tally.needed) must pass" }
        log.log(plan, unit: unit)
        for m in mappings { log.log("Connecting to \(m.host):\(m.port) through \(m.connectHost):\(m.connectPort)", unit: unit) }

        let clock = ContinuousClock()
        let started = clock.now
        for i in 0..<tally.requests {
            if i > 0 { try await run.pause(for: p.interval) }
            try run.checkCancelled()
            var request = HTTPClientRequest(url: p.url, timeout: p.timeout)
            request.connectTo = mappings.map(\.description)
            let body = ProbeBodyPrefix(limit: matcher == nil ? 0 : HTTPVerifyPayload.bodyPrefixBytes)
            request.onBodyChunk = { body.append($0) }
            let began = clock.now
            let outcome: HTTPProbeOutcome
            do {
                let answer = try await run.env.http.send(request)
                outcome = .answered(status: answer.status, bodyMatched: matcher.map { $0.matches(body.data) })
            } catch let e as HTTPClientError {
                try run.checkCancelled()
                outcome = HTTPProbeOutcome(e, timeoutSeconds: timeoutSeconds)
            }
            log.log(tally.record(outcome, elapsed: clock.now - began), unit: unit)
        }
        let outcome = VerifyOutputs(verdict: tally.verdict(elapsed: clock.now - started), passed: tally.passed, total: tally.requests)
        return try run.conclude(outcome, passed: tally.verdictPassed, unit: unit)
    }

    /// The URL as the log shows it: without its query, which may carry a token.
    static func shown(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        return String(url[..<q]) + "?…"
    }
}
