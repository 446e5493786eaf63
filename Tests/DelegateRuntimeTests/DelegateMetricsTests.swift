@testable import DelegateRuntime
import DelegateProtocol
import Foundation
import Testing

/// What a scrape of the delegate shows: gauges read from the agent, AWS attempts by service, operation and outcome.
@Suite struct DelegateMetricsTests {
    func status(connected: Bool, running: Int, heartbeat: Double?) -> DelegateStatus {
        DelegateStatus(
            delegateId: "d-1", name: "d", tags: [], version: delegateVersion, uptimeSeconds: 12, managerURL: "http://m", connected: connected, lastError: nil,
            secondsSinceHeartbeat: heartbeat, capacity: 4,
            running: (0..<running).map { RunningTaskStatus(taskId: "t\($0)", type: "delegate.echo", startedAt: Date()) },
            draining: false, spoolUnacknowledgedLines: 10, spoolMaxLines: 1000)
    }

    /// The value of the series named exactly `series` (with its labels), or nil.
    func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    @Test func gaugesFollowTheAgentAtEachScrape() {
        let metrics = DelegateMetrics()
        let first = metrics.render(status: status(connected: true, running: 2, heartbeat: 3.5))
        #expect(value(first, "ecs_delegate_connected") == "1.0")
        #expect(value(first, "ecs_delegate_running_tasks") == "2.0")
        #expect(value(first, "ecs_delegate_capacity_tasks") == "4.0")
        #expect(value(first, "ecs_delegate_spool_lines") == "10.0")
        #expect(value(first, "ecs_delegate_seconds_since_heartbeat") == "3.5")
        #expect(value(first, #"ecs_delegate_build_info{version="\#(delegateVersion)"}"#) == "1.0")
        let second = metrics.render(status: status(connected: false, running: 0, heartbeat: nil))
        #expect(value(second, "ecs_delegate_connected") == "0.0")
        #expect(value(second, "ecs_delegate_running_tasks") == "0.0")
        #expect(value(second, "ecs_delegate_seconds_since_heartbeat") == "nan", "NaN, which Prometheus reads in any case")
    }

    @Test func awsAttemptsAreCountedByServiceOperationAndOutcome() {
        let metrics = DelegateMetrics()
        final class Source: @unchecked Sendable {
            var calls: [DelegateMetrics.AWSCallCount] = [("ECS", "DescribeServices", "ok", 5), ("ECS", "UpdateService", "ThrottlingException", 2)]
        }
        let source = Source()
        metrics.setAWSCalls { source.calls }
        let first = metrics.render()
        #expect(value(first, #"ecs_delegate_aws_requests_total{service="ECS",operation="DescribeServices",outcome="ok"}"#) == "5")
        #expect(value(first, #"ecs_delegate_aws_requests_total{service="ECS",operation="UpdateService",outcome="ThrottlingException"}"#) == "2")
        source.calls = [("ECS", "DescribeServices", "ok", 7), ("ECS", "UpdateService", "ThrottlingException", 2), ("ECS", "UpdateService", "AccessDeniedException", 1)]
        let second = metrics.render()
        #expect(value(second, #"ecs_delegate_aws_requests_total{service="ECS",operation="DescribeServices",outcome="ok"}"#) == "7")
        #expect(value(second, #"ecs_delegate_aws_requests_total{service="ECS",operation="UpdateService",outcome="ThrottlingException"}"#) == "2")
        #expect(value(second, #"ecs_delegate_aws_requests_total{service="ECS",operation="UpdateService",outcome="AccessDeniedException"}"#) == "1")
    }

    @Test func metricsListenIsReadAndChecked() throws {
        #expect(ListenAddress("127.0.0.1:9464") == ListenAddress("127.0.0.1:9464") && ListenAddress("127.0.0.1:9464")?.port == 9464)
        #expect(ListenAddress("[::1]:9464")?.host == "::1" && ListenAddress("[::1]:9464")?.description == "[::1]:9464")
        for bad in ["9464", ":9464", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:99999999999999999999", "host:-1", "a b:80"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
        }
        let dir = NSTemporaryDirectory() + "mlisten-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let good = dir + "/good.yaml", bad = dir + "/bad.yaml"
        try "metrics_listen: 127.0.0.1:9464\n".write(toFile: good, atomically: true, encoding: .utf8)
        try "name: d\nmetrics_listen: 127.0.0.1:http\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(try DelegateConfig.load(path: good, environment: [:]).metricsListen == ListenAddress("127.0.0.1:9464"))
        #expect(try DelegateConfig.load(path: good, environment: ["ECS_DELEGATE_METRICS_LISTEN": "127.0.0.1:9999"]).metricsListen?.port == 9999)
        #expect(try DelegateConfig.load(path: nil, environment: [:]).metricsListen == nil)
        do {
            _ = try DelegateConfig.load(path: bad, environment: [:])
            Issue.record("a port that is not a number was accepted")
        } catch let e as ConfigErrors {
            #expect("\(e)".contains("metrics_listen") && "\(e)".contains("line 2") && "\(e)".contains("HOST:PORT"), "\(e)")
        }
    }
}
