import DelegateProtocol
import Foundation
import StepContracts
import Testing

/// The verify steps' payloads: defaults, and every out-of-range or malformed member refused with an error naming it.
@Suite struct VerifyPayloadTests {
    let url = "http://stage.example.com:8080/health"

    func problem(_ p: some StepPayload) -> String? {
        do {
            try p.validate()
            return nil
        } catch {
            return error.message
        }
    }

    @Test func theVerifyTypesAreStepTypesWithTheirWireNames() throws {
        #expect(TaskType.verifyHTTP.rawValue == "verify.http")
        #expect(TaskType.verifyTargetHealth.rawValue == "verify.targetHealth")
        #expect(TaskType.verifyAlarms.rawValue == "verify.alarms")
        for t in [TaskType.verifyHTTP, .verifyTargetHealth, .verifyAlarms] { #expect(TaskType.ecsSteps.contains(t)) }
    }

    @Test func anHTTPPayloadWithOnlyAURLTakesTheDefaults() throws {
        let p = try JSONValue.object(["url": .string(url)]).decode(as: HTTPVerifyPayload.self)
        #expect(problem(p) == nil)
        #expect(p.requestCount == 20 && p.interval == .milliseconds(500) && p.timeout == .seconds(5) && p.successRatio == 1)
        #expect(try p.statusRange() == .successOrRedirect && p.statusRange().description == "200-399")
        #expect(try p.bodyPattern() == nil && p.connectMappings().isEmpty)
    }

    @Test func httpNumbersOutOfRangeNameTheirMember() {
        #expect(problem(HTTPVerifyPayload(url: url, requests: 0)) == "payload member 'requests' must be from 1 to 1000, got 0")
        #expect(problem(HTTPVerifyPayload(url: url, requests: 1001)) == "payload member 'requests' must be from 1 to 1000, got 1001")
        #expect(problem(HTTPVerifyPayload(url: url, intervalSeconds: 60.5)) == "payload member 'intervalSeconds' must be from 0 to 60, got 60.5")
        #expect(problem(HTTPVerifyPayload(url: url, intervalSeconds: -1)) == "payload member 'intervalSeconds' must be from 0 to 60, got -1")
        #expect(problem(HTTPVerifyPayload(url: url, minSuccessRatio: 1.5)) == "payload member 'minSuccessRatio' must be from 0 to 1, got 1.5")
        #expect(problem(HTTPVerifyPayload(url: url, timeoutSeconds: 0)) == "payload member 'timeoutSeconds' must be from 1 to 300, got 0")
        #expect(problem(HTTPVerifyPayload(url: url, timeoutSeconds: 301)) == "payload member 'timeoutSeconds' must be from 1 to 300, got 301")
    }

    @Test func hugeAndNonFiniteDoublesAreRefusedWithoutATrap() {
        for value in [1e300, -1e300, Double.greatestFiniteMagnitude, .infinity, -.infinity, .nan] {
            let interval = HTTPVerifyPayload(url: url, intervalSeconds: value)
            #expect(problem(interval)?.hasPrefix("payload member 'intervalSeconds' must be from 0 to 60, got ") == true, "\(value)")
            #expect(interval.interval >= .zero && interval.interval <= .seconds(60), "read clamped even unvalidated: \(value)")
            let ratio = HTTPVerifyPayload(url: url, minSuccessRatio: value)
            #expect(problem(ratio)?.hasPrefix("payload member 'minSuccessRatio' must be from 0 to 1, got ") == true, "\(value)")
            #expect((0...1).contains(ratio.successRatio))
        }
        #expect(problem(HTTPVerifyPayload(url: url, intervalSeconds: 1e300)) == "payload member 'intervalSeconds' must be from 0 to 60, got 1e+300")
        #expect(HTTPVerifyPayload(url: url, requests: Int.max, timeoutSeconds: Int.min).requestCount == 1000)
    }

    @Test func onlyHTTPAndHTTPSURLsToNonLinkLocalHosts() {
        #expect(problem(HTTPVerifyPayload(url: "ftp://stage.example.com/x"))?.hasPrefix("payload member 'url' must be an http or https URL with a host") == true)
        #expect(problem(HTTPVerifyPayload(url: "file:///etc/passwd"))?.hasPrefix("payload member 'url' must be an http or https URL") == true)
        #expect(problem(HTTPVerifyPayload(url: "")) == "payload member 'url' must not be empty")
        #expect(problem(HTTPVerifyPayload(url: "http://example.com/" + String(repeating: "a", count: 2048))) == "payload member 'url' is longer than 2048 bytes")
        #expect(problem(HTTPVerifyPayload(url: "http://example.com/a b"))?.contains("white space") == true)
        #expect(problem(HTTPVerifyPayload(url: "http://169.254.169.254/latest/meta-data/"))?.hasPrefix("payload member 'url' must not name a link-local address") == true)
        #expect(problem(HTTPVerifyPayload(url: "https://user:pw@example.com/"))?.contains("user:password@") == true)
        #expect(problem(HTTPVerifyPayload(url: "HTTPS://Example.com:443/x?y=1")) == nil)
    }

    @Test func expectStatusIsOneStatusOrARangeOfThem() throws {
        #expect(try HTTPStatusRange(parsing: "204", member: "expectStatus").description == "204")
        let r = try HTTPStatusRange(parsing: "200-299", member: "expectStatus")
        #expect(r.contains(200) && r.contains(299) && !r.contains(300) && !r.contains(199))
        for bad in ["2xx", "99", "600", "200-600", "0200", "+200", " 200", "200-", "-200", "200-299-399", "", "２００"] {
            #expect(problem(HTTPVerifyPayload(url: url, expectStatus: bad))?.hasPrefix("payload member 'expectStatus' must be a status or a range of statuses from 100 to 599") == true, "\(bad)")
        }
        #expect(problem(HTTPVerifyPayload(url: url, expectStatus: "299-200")) == "payload member 'expectStatus' must name the lower status first, e.g. 200-299; got '299-200'")
    }

    @Test func expectBodyMustCompileAndStayShort() throws {
        #expect(try HTTPVerifyPayload(url: url, expectBody: #"\"status\":\s*\"ok\""#).bodyPattern() != nil)
        #expect(problem(HTTPVerifyPayload(url: url, expectBody: "(unclosed")) == "payload member 'expectBody' is not a regular expression (NSRegularExpression, ICU syntax): '(unclosed'")
        #expect(problem(HTTPVerifyPayload(url: url, expectBody: "")) == "payload member 'expectBody' must not be empty")
        #expect(problem(HTTPVerifyPayload(url: url, expectBody: String(repeating: "a", count: 1001))) == "payload member 'expectBody' must be at most 1000 characters")
        #expect(problem(HTTPVerifyPayload(url: url, expectBody: String(repeating: "a", count: 1000))) == nil)
    }

    @Test func connectToEntriesAreCheckedStrictly() throws {
        let ok = HTTPVerifyPayload(url: url, connectTo: ["stage.example.com:8080:127.0.0.1:38761", "Other-Host.example:443:[::1]:8443"])
        #expect(problem(ok) == nil)
        let mappings = try ok.connectMappings()
        #expect(mappings.map(\.description) == ["stage.example.com:8080:127.0.0.1:38761", "Other-Host.example:443:[::1]:8443"])
        #expect(mappings.first?.connectHost == "127.0.0.1" && mappings.first?.connectPort == 38761)

        func connectProblem(_ entry: String) -> String? { problem(HTTPVerifyPayload(url: url, connectTo: ["a.example:80:127.0.0.1:80", entry])) }
        #expect(connectProblem("a.example:80:127.0.0.1")?.hasPrefix("payload member 'connectTo[1]' must be HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT") == true)
        #expect(connectProblem("a:80:b:81:c")?.hasPrefix("payload member 'connectTo[1]' must be HOST:PORT") == true)
        #expect(connectProblem("a.example:80:127.0.0.1:0") == "payload member 'connectTo[1]' has an invalid connect-to port '0' (1-65535)")
        #expect(connectProblem("a.example:80:127.0.0.1:65536") == "payload member 'connectTo[1]' has an invalid connect-to port '65536' (1-65535)")
        #expect(connectProblem("a.example:-1:127.0.0.1:80") == "payload member 'connectTo[1]' has an invalid port '-1' (1-65535)")
        #expect(connectProblem("a.example::127.0.0.1:80") == "payload member 'connectTo[1]' has an invalid port '' (1-65535)")
        #expect(connectProblem(":80:127.0.0.1:80")?.hasPrefix("payload member 'connectTo[1]' has an invalid host ''") == true)
        #expect(connectProblem("a example:80:127.0.0.1:80")?.hasPrefix("payload member 'connectTo[1]' has an invalid host") == true)
        #expect(connectProblem("a.example:80:127.0.0.1:80\nx")?.hasPrefix("payload member 'connectTo[1]' has an invalid connect-to port") == true)
        #expect(connectProblem("a.example:80:evil/path:80")?.hasPrefix("payload member 'connectTo[1]' has an invalid connect-to host") == true)
        #expect(connectProblem("a.example:80:-bad.example:80")?.hasPrefix("payload member 'connectTo[1]' has an invalid connect-to host") == true)
        #expect(connectProblem("a.example:80:[::1:80")?.hasPrefix("payload member 'connectTo[1]' must be HOST:PORT") == true)
        #expect(connectProblem("a.example:80:[nonsense]:80")?.hasPrefix("payload member 'connectTo[1]' has an invalid connect-to host") == true)
        #expect(connectProblem("a.example:80:169.254.169.254:80")?.hasPrefix("payload member 'connectTo[1]' must not connect to a link-local address") == true)
        #expect(connectProblem("a.example:80:[fe80::1]:80")?.hasPrefix("payload member 'connectTo[1]' must not connect to a link-local address") == true)
        #expect(connectProblem(String(repeating: "a", count: 64) + ".example:80:127.0.0.1:80")?.hasPrefix("payload member 'connectTo[1]' has an invalid host") == true)
        let seventeen = Array(repeating: "a.example:80:127.0.0.1:80", count: 17)
        #expect(problem(HTTPVerifyPayload(url: url, connectTo: seventeen)) == "payload member 'connectTo' must have at most 16 entries, got 17")
    }

    @Test func targetHealthNeedsAServiceOrATargetGroupAndSaneTimes() throws {
        let merged = try JSONValue.object(["cluster": "c", "serviceName": "myapp__1", "serviceArn": "arn:x", "desiredCount": 2]).decode(as: TargetHealthVerifyPayload.self)
        #expect(problem(merged) == nil, "a deploy step's outputs merged in decode")
        #expect(merged.stable == 30 && merged.timeout == 600)
        #expect(problem(TargetHealthVerifyPayload(cluster: "c")) == "payload member 'serviceName' or 'targetGroupArn' is required")
        #expect(problem(TargetHealthVerifyPayload(cluster: "", serviceName: "s")) == "payload member 'cluster' must not be empty")
        #expect(problem(TargetHealthVerifyPayload(cluster: "c", serviceName: "bad\nname"))?.hasPrefix("payload member 'serviceName' must not contain control characters") == true)
        #expect(problem(TargetHealthVerifyPayload(cluster: "c", targetGroupArn: "arn:tg", stableSeconds: 3601)) == "payload member 'stableSeconds' must be from 0 to 3600, got 3601")
        #expect(problem(TargetHealthVerifyPayload(cluster: "c", targetGroupArn: "arn:tg", stableSeconds: -1)) == "payload member 'stableSeconds' must be from 0 to 3600, got -1")
        #expect(problem(TargetHealthVerifyPayload(cluster: "c", targetGroupArn: "arn:tg", timeoutSeconds: 0)) == "payload member 'timeoutSeconds' must be from 1 to 86400, got 0")
        #expect(problem(TargetHealthVerifyPayload(cluster: "c", targetGroupArn: "arn:tg", stableSeconds: 120, timeoutSeconds: 60))
                == "payload member 'stableSeconds' (120) must not be longer than 'timeoutSeconds' (60): the targets could never pass")
        #expect(problem(TargetHealthVerifyPayload(cluster: "c", targetGroupArn: "arn:tg", stableSeconds: 0, timeoutSeconds: 1)) == nil)
    }

    @Test func alarmsAreOneToAHundredNamesOfAtMost255Characters() {
        #expect(problem(AlarmsVerifyPayload(alarmNames: ["a", "b"])) == nil)
        #expect(AlarmsVerifyPayload(alarmNames: ["a"]).window == 60)
        #expect(problem(AlarmsVerifyPayload(alarmNames: [])) == "payload member 'alarmNames' must name from 1 to 100 alarms, got 0")
        #expect(problem(AlarmsVerifyPayload(alarmNames: (0...100).map { "a\($0)" })) == "payload member 'alarmNames' must name from 1 to 100 alarms, got 101")
        #expect(problem(AlarmsVerifyPayload(alarmNames: ["ok", String(repeating: "é", count: 256)])) == "payload member 'alarmNames[1]' must be at most 255 characters")
        #expect(problem(AlarmsVerifyPayload(alarmNames: [String(repeating: "é", count: 255)])) == nil, "characters, not bytes")
        #expect(problem(AlarmsVerifyPayload(alarmNames: [""])) == "payload member 'alarmNames[0]' must not be empty")
        #expect(problem(AlarmsVerifyPayload(alarmNames: ["a\u{0}b"]))?.hasPrefix("payload member 'alarmNames[0]' must not contain control characters") == true)
        #expect(problem(AlarmsVerifyPayload(alarmNames: ["a"], windowSeconds: 86_401)) == "payload member 'windowSeconds' must be from 0 to 86400, got 86401")
        #expect(AlarmsVerifyPayload(alarmNames: ["b", "a", "b"]).distinctNames == ["b", "a"])
    }

    @Test func verifyOutputsAndTheBlueGreenURLsEncodeFlat() throws {
        #expect(try JSONValue.outputs(VerifyOutputs(verdict: "2/2 alarms OK for 60 s", passed: 2, total: 2)) == ["verdict": "2/2 alarms OK for 60 s", "passed": 2, "total": 2])
        let urls = try JSONValue.outputs(BlueGreenCreateOutputs(loadBalancerArn: "arn:lb", stageUrl: "http://lb.example:8080", prodUrl: "http://lb.example:80"))
        #expect(urls == ["loadBalancerArn": "arn:lb", "stageUrl": "http://lb.example:8080", "prodUrl": "http://lb.example:80"])
        #expect(try JSONValue.outputs(BlueGreenCreateOutputs(loadBalancerArn: "arn:lb")) == ["loadBalancerArn": "arn:lb"])
        // A verify.http payload built from the create step's output, as a pipeline would.
        let probe = try JSONValue.object(merging: [HTTPVerifyPayload(url: "http://lb.example:8080", requests: 5)]).decode(as: HTTPVerifyPayload.self)
        #expect(probe.url == "http://lb.example:8080" && probe.requestCount == 5)
    }
}
