import ECSSteps
import HTTPClient
import StepContracts
import Testing

/// `verify.http`'s pure core: probe outcomes in, probe lines and the verdict out.
@Suite struct HTTPProbeTallyTests {
    func tally(_ n: Int, ratio: Double = 1, expect: HTTPStatusRange = .successOrRedirect, body: String? = nil) -> HTTPProbeTally {
        HTTPProbeTally(requests: n, expect: expect, minSuccessRatio: ratio, bodyPattern: body)
    }

    @Test func everyProbeAnsweredWithOneStatusNamesIt() {
        var t = tally(20)
        #expect(t.record(.answered(status: 200, bodyMatched: nil), elapsed: .milliseconds(12)) == "probe 1/20: 200 in 12 ms")
        for _ in 2...20 { _ = t.record(.answered(status: 200, bodyMatched: nil), elapsed: .milliseconds(3)) }
        #expect(t.verdictPassed)
        #expect(t.verdict(elapsed: .milliseconds(2_140)) == "20/20 requests answered 200 in 2.1 s")
        #expect(t.passed == 20)
    }

    @Test func differentStatusesInTheRangeNameTheRange() {
        var t = tally(4)
        for s in [200, 204, 301, 200] { _ = t.record(.answered(status: s, bodyMatched: nil), elapsed: .milliseconds(1)) }
        #expect(t.verdict(elapsed: .seconds(2)) == "4/4 requests answered 200-399 in 2.0 s")
    }

    @Test func failuresAreCountedByStatusAndReasonAndTheNeedIsNamed() {
        var t = tally(20)
        for i in 1...20 {
            let line = t.record(.answered(status: i % 10 < 3 ? 500 : 200, bodyMatched: nil), elapsed: .milliseconds(9))
            if i == 1 { #expect(line == "probe 1/20: 500 in 9 ms (expected 200-399)") }
        }
        #expect(!t.verdictPassed)
        #expect(t.verdict(elapsed: .milliseconds(2_100)) == "14/20 requests answered 200-399 in 2.1 s (6 answered 500); at least 20 needed")

        var refused = tally(3)
        #expect(refused.record(.failed("connection refused"), elapsed: .milliseconds(1)) == "probe 1/3: connection refused")
        _ = refused.record(.answered(status: 200, bodyMatched: nil), elapsed: .milliseconds(1))
        _ = refused.record(.failed("connection refused"), elapsed: .milliseconds(1))
        #expect(refused.verdict(elapsed: .milliseconds(50)) == "1/3 requests answered 200 in 0.1 s (2 failed: connection refused); at least 3 needed",
                "one answered status is named even when other probes got no answer")
    }

    @Test func theRatioIsRoundedUpWithoutFloatingPointSurprises() {
        #expect(tally(20, ratio: 0.7).needed == 14, "0.7 × 20 is 14.000000000000002 in floating point")
        #expect(tally(20, ratio: 0.71).needed == 15)
        #expect(tally(3, ratio: 0.5).needed == 2)
        #expect(tally(10, ratio: 0).needed == 0)
        #expect(tally(10, ratio: .nan).needed == 10, "a NaN ratio (never valid) asks for every probe")
        var t = tally(20, ratio: 0.7)
        for i in 1...20 { _ = t.record(.answered(status: i <= 14 ? 200 : 503, bodyMatched: nil), elapsed: .zero) }
        #expect(t.verdictPassed)
        #expect(t.verdict(elapsed: .seconds(1)) == "14/20 requests answered 200-399 in 1.0 s (6 answered 503)")
    }

    @Test func aBodyThatDoesNotMatchFailsTheProbe() {
        var t = tally(2, body: "\"ok\"")
        #expect(t.record(.answered(status: 200, bodyMatched: false), elapsed: .milliseconds(4)) == "probe 1/2: 200 in 4 ms (body does not match '\"ok\"')")
        #expect(t.record(.answered(status: 200, bodyMatched: true), elapsed: .milliseconds(4)) == "probe 2/2: 200 in 4 ms")
        #expect(t.verdict(elapsed: .seconds(1)) == "1/2 requests answered 200 in 1.0 s (1 answered 200 with a body not matching '\"ok\"'); at least 2 needed")
    }

    @Test func anExactStatusIsHeldToIt() {
        var t = tally(2, expect: .successOrRedirect)
        _ = t.record(.answered(status: 302, bodyMatched: nil), elapsed: .zero)
        _ = t.record(.answered(status: 302, bodyMatched: nil), elapsed: .zero)
        #expect(t.verdict(elapsed: .zero) == "2/2 requests answered 302 in 0.0 s")
        var all500 = tally(2)
        _ = all500.record(.answered(status: 500, bodyMatched: nil), elapsed: .zero)
        _ = all500.record(.answered(status: 500, bodyMatched: nil), elapsed: .zero)
        #expect(all500.verdict(elapsed: .zero) == "0/2 requests answered 200-399 in 0.0 s (2 answered 500); at least 2 needed", "an unexpected status is not named as answered")
    }

    @Test func clientErrorsBecomeShortReasons() {
        #expect(HTTPProbeOutcome(HTTPClientError(.connect, "GET http://127.0.0.1:1/x: Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server (Connection refused)"), timeoutSeconds: 5)
                == .failed("connection refused"))
        #expect(HTTPProbeOutcome(HTTPClientError(.timeout, "GET http://h/x: Operation timed out after 5001 milliseconds"), timeoutSeconds: 5) == .failed("timed out after 5 s"))
        #expect(HTTPProbeOutcome(HTTPClientError(.connect, "GET http://nowhere.invalid/: Could not resolve host: nowhere.invalid"), timeoutSeconds: 5)
                == .failed("could not resolve the host"))
        #expect(HTTPProbeOutcome(HTTPClientError(.transport, "GET http://h/x: Empty reply from server"), timeoutSeconds: 5) == .failed("Empty reply from server"))
        #expect(HTTPProbeOutcome(HTTPClientError(.connect, "GET http://10.9.9.9/: Failed to connect to 10.9.9.9 port 80 after 3 ms: Couldn't connect to server (No route to host)"), timeoutSeconds: 5)
                == .failed("could not connect: Failed to connect to 10.9.9.9 port 80 after 3 ms: Couldn't connect to server (No route to host)"))
    }

    @Test func durationsReadAsUsersExpect() {
        #expect(HTTPProbeTally.milliseconds(.microseconds(12_900)) == 12)
        #expect(HTTPProbeTally.milliseconds(.seconds(-3)) == 0)
        #expect(HTTPProbeTally.milliseconds(.seconds(Int64.max)) > 0, "no overflow trap")
        #expect(HTTPProbeTally.seconds(.milliseconds(2_149)) == "2.1")
    }
}
