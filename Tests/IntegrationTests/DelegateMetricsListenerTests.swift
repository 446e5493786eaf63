import DelegateProtocol
import Foundation
import HTTPClient
import Testing
import TestSupport

/// `metrics_listen`: a scraper reads the delegate's metrics over TCP, the status socket's peer check aside.
@Suite struct DelegateMetricsListenerTests {
    @Test func aScraperReadsGaugesAndTaskCountsAndNothingElse() async throws {
        let dir = try Scratch("metrics-listen")
        let manager = try await ManagerProcess(dir: dir)
        let port = freeLoopbackPort()
        let delegate = try DelegateProcess(dir: dir, name: "scraped", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["m"], capacity: 3,
                                           extra: "metrics_listen: 127.0.0.1:\(port)", env: ["ECS_DELEGATE_LOG_FORMAT": "json"])
        let client = manager.client()
        _ = try await connectedDelegate(client, name: "scraped")
        let task = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["m"], payload: ["count": 2]))
        #expect(try await finished(client, task.taskId).state == "succeeded")

        let text = try await scrapeMetrics(port: port) { $0.contains(#"ecs_delegate_tasks_total{type="delegate.echo",outcome="succeeded"} 1"#) }
        let http = HTTPClient()
        defer { http.shutdown() }
        let lines = Set(text.split(separator: "\n").map(String.init))
        for series in ["ecs_delegate_connected 1.0", "ecs_delegate_capacity_tasks 3.0", "ecs_delegate_running_tasks 0.0", "ecs_delegate_spool_max_lines 1000000.0"] {
            #expect(lines.contains(series), "\(series) in:\n\(text)")
        }
        #expect(lines.contains { $0.hasPrefix("ecs_delegate_seconds_since_heartbeat ") }, "NaN until the first heartbeat, then seconds: \(text)")
        #expect(lines.contains { $0.hasPrefix("ecs_delegate_build_info{version=") }, "\(text)")
        // The listener serves metrics only: the status API stays behind the socket's peer check.
        #expect(try await http.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/status")).status == 404)
        #expect(try await http.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/tasks")).status == 404)
        // log_format json (here from ECS_DELEGATE_LOG_FORMAT): every line the delegate logged is one JSON object.
        let stderr = delegate.child.stderr
        #expect(!stderr.isEmpty && nonJSONLogLines(stderr).isEmpty, "\(stderr.prefix(2000))")
        #expect(stderr.contains(#""message":"metrics listening""#), "\(stderr.prefix(2000))")
    }
}
