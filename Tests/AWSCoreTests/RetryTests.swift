import AWSSigV4
import Foundation
import HTTPClient
import Logging
import Testing
import AWSCore

/// Records requested backoffs instead of sleeping.
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var delays: [Duration] = []
    var recorded: [Duration] { lock.withLock { delays } }
    func sleep(_ d: Duration) async throws { lock.withLock { delays.append(d) } }
}

@Suite("Standard retry mode against a local server", .timeLimit(.minutes(3)))
struct RetryTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    let http = HTTPClient()

    func client(_ server: TestHTTPServer, maxAttempts: Int = 3, quota: Int = 500, logs: CapturedLogs = CapturedLogs(), sleeper: SleepRecorder = SleepRecorder()) -> AWSClient {
        let retry = RetryConfiguration(
            maxAttempts: maxAttempts, baseDelay: .milliseconds(10), quotaCapacity: quota,
            sleep: { try await sleeper.sleep($0) }, random: { 0.5 })
        return AWSClient(
            credentialProvider: StaticCredentialProvider(AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: "SECRET-TOKEN-VALUE")),
            httpClient: http,
            configuration: AWSClientConfiguration(region: "us-east-1", endpointOverride: server.url, retry: retry, environment: [:]),
            logger: logs.logger())
    }

    static func json(_ status: Int, _ body: String, _ headers: [(String, String)] = []) -> TestHTTPServer.Action {
        .respond(status, [("Content-Type", "application/x-amz-json-1.1")] + headers, Data(body.utf8))
    }

    @Test func throttlingIsRetriedUntilSuccess() async throws {
        let server = try TestHTTPServer { _, n in
            n <= 2 ? Self.json(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#) : Self.json(200, #"{"clusterArns":["arn:c"]}"#)
        }
        defer { server.stop() }
        let logs = CapturedLogs()
        let sleeper = SleepRecorder()
        let c = client(server, logs: logs, sleeper: sleeper)
        let out = try await c.jsonCall(service: .ecs, operation: "ListClusters")
        #expect(out["clusterArns"]?[0]?.stringValue == "arn:c")
        #expect(c.retryStats.attempts == 3)
        #expect(c.retryStats.retries == 2)
        #expect(c.retryStats.retriesByCode == ["ThrottlingException": 2])
        // Backoff: random(0.5) * 10 ms * 2^i.
        #expect(sleeper.recorded == [.milliseconds(5), .milliseconds(10)])
        let retryLines = logs.all.filter { $0.contains("retrying AWS call") }
        #expect(retryLines.count == 2)
        #expect(retryLines.allSatisfy { $0.hasPrefix("debug") && $0.contains("aws_error_code=ThrottlingException") })
        #expect(!logs.all.joined().contains(Self.secret))
        #expect(!logs.all.joined().contains("SECRET-TOKEN-VALUE"))
        // Every attempt was signed afresh and carried the target header.
        #expect(server.requests.allSatisfy { $0.header("X-Amz-Target") == "AmazonEC2ContainerServiceV20141113.ListClusters" })
        #expect(server.requests.allSatisfy { $0.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true })
    }

    @Test func serviceUnavailableIsRetried() async throws {
        let server = try TestHTTPServer { _, n in n == 1 ? .respond(503, [], Data()) : Self.json(200, "{}") }
        defer { server.stop() }
        let c = client(server)
        _ = try await c.jsonCall(service: .ecs, operation: "ListClusters")
        #expect(c.retryStats.attempts == 2)
        #expect(c.retryStats.retriesByCode == ["ServiceUnavailable": 1])
    }

    @Test func droppedConnectionsAreRetried() async throws {
        let server = try TestHTTPServer { _, n in n <= 2 ? .drop : Self.json(200, "{}") }
        defer { server.stop() }
        let c = client(server)
        _ = try await c.jsonCall(service: .ecs, operation: "ListClusters")
        #expect(c.retryStats.attempts == 3)
        #expect(c.retryStats.retries == 2)
    }

    @Test func givesUpWithTheLastErrorAfterMaxAttempts() async throws {
        let server = try TestHTTPServer { _, n in
            n < 4 ? .respond(503, [], Data()) : Self.json(400, #"{"__type":"ThrottlingException","message":"attempt \#(n)"}"#)
        }
        defer { server.stop() }
        let c = client(server, maxAttempts: 4)
        await #expect {
            _ = try await c.jsonCall(service: .ecs, operation: "ListClusters")
        } throws: { error in
            guard let e = error as? AWSError else { return false }
            return e.code == "ThrottlingException" && e.message == "attempt 4" && e.operation == "ListClusters"
        }
        #expect(c.retryStats.attempts == 4)
        let dropped = try TestHTTPServer { _, _ in .drop }
        defer { dropped.stop() }
        let d = client(dropped)
        await #expect(throws: HTTPClientError.self) { _ = try await d.jsonCall(service: .ecs, operation: "ListClusters") }
        #expect(d.retryStats.attempts == 3)
    }

    @Test func validationErrorsAreNotRetried() async throws {
        let server = try TestHTTPServer { _, _ in Self.json(400, #"{"__type":"ValidationException","message":"bad input"}"#) }
        defer { server.stop() }
        let c = client(server)
        await #expect {
            _ = try await c.jsonCall(service: .ecs, operation: "DescribeServices")
        } throws: { error in
            (error as? AWSError)?.code == "ValidationException" && (error as? AWSError)?.status == 400
        }
        #expect(c.retryStats.attempts == 1)
        #expect(server.requests.count == 1)
    }

    @Test func retryQuotaStopsRetryStorms() async throws {
        let server = try TestHTTPServer { _, _ in .respond(500, [], Data()) }
        defer { server.stop() }
        // 12 tokens: two retries (5 each) fit, the third does not.
        let c = client(server, maxAttempts: 3, quota: 12)
        await #expect(throws: AWSError.self) { _ = try await c.jsonCall(service: .ecs, operation: "ListClusters") }
        #expect(c.retryStats.attempts == 3)
        await #expect(throws: AWSError.self) { _ = try await c.jsonCall(service: .ecs, operation: "ListClusters") }
        #expect(c.retryStats.attempts == 4)
        #expect(c.retryStats.quotaRefusals == 1)
        #expect(c.retryQuota.available == 2)
    }

    @Test func retryAfterIsHonoured() async throws {
        let server = try TestHTTPServer { _, n in n == 1 ? .respond(503, [("Retry-After", "2")], Data()) : Self.json(200, "{}") }
        defer { server.stop() }
        let sleeper = SleepRecorder()
        let c = client(server, sleeper: sleeper)
        _ = try await c.jsonCall(service: .ecs, operation: "ListClusters")
        #expect(sleeper.recorded == [.seconds(2)])
        // A success refunds the retry's tokens.
        #expect(c.retryQuota.available == 500)
    }

    @Test func queryProtocolErrorsAndRetries() async throws {
        let server = try TestHTTPServer { req, n in
            if n == 1 {
                return .respond(400, [], Data("<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>".utf8))
            }
            let body = String(decoding: req.body, as: UTF8.self).replacingOccurrences(of: "&", with: "&amp;")
            return .respond(200, [], Data("<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account><Arn>\(body)</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>".utf8))
        }
        defer { server.stop() }
        let c = client(server)
        let result = try await c.queryCall(service: .sts, action: "GetCallerIdentity")
        #expect(result.string("Account") == "123456789012")
        #expect(result.string("Arn") == "Action=GetCallerIdentity&Version=2011-06-15")
        #expect(c.retryStats.retriesByCode == ["Throttling": 1])
    }

    @Test func clockSkewIsCorrected() async throws {
        // The server's clock is an hour ahead; it refuses signatures dated more than 5 minutes off.
        let serverNow = Date().addingTimeInterval(3600)
        let httpDate: String = {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "GMT")
            f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            return f.string(from: serverNow)
        }()
        let server = try TestHTTPServer { req, _ in
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            guard let signed = req.header("X-Amz-Date").flatMap(f.date), abs(signed.timeIntervalSince(serverNow)) < 300 else {
                return .respond(403, [("Date", httpDate)], Data(#"{"__type":"InvalidSignatureException","message":"Signature expired"}"#.utf8))
            }
            return Self.json(200, "{}")
        }
        defer { server.stop() }
        let c = client(server)
        _ = try await c.jsonCall(service: .ecs, operation: "ListClusters")
        #expect(server.requests.count == 2)
        #expect(abs(c.clockSkew.offset - 3600) < 10)
        // Later calls are signed at the corrected time straight away.
        _ = try await c.jsonCall(service: .ecs, operation: "ListClusters")
        #expect(server.requests.count == 3)
    }
}

/// `AWS_MAX_ATTEMPTS` is bounded: an attempt count near `Int.max` once overflowed where extra attempts are added.
@Suite struct RetryEnvironmentTests {
    @Test func maxAttemptsFromTheEnvironmentIsBounded() {
        #expect(RetryConfiguration.fromEnvironment(["AWS_MAX_ATTEMPTS": "5"]).maxAttempts == 5)
        #expect(RetryConfiguration.fromEnvironment(["AWS_MAX_ATTEMPTS": "\(Int.max)"]).maxAttempts == RetryConfiguration.maxAttemptsLimit)
        #expect(RetryConfiguration.fromEnvironment(["AWS_MAX_ATTEMPTS": "0"]).maxAttempts == RetryConfiguration().maxAttempts)
        #expect(RetryConfiguration.fromEnvironment(["AWS_MAX_ATTEMPTS": "lots"]).maxAttempts == RetryConfiguration().maxAttempts)
    }
}
