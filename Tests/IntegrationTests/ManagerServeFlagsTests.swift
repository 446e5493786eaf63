import DelegateProtocol
import Foundation
import HTTPClient
import Testing
import TestSupport

/// `ecs-manager serve`'s operational flags on a real process: JSON logs, the keyless metrics listener, and addresses refused before anything starts.
@Suite struct ManagerServeFlagsTests {
    @Test func jsonLogsAndAKeylessMetricsListener() async throws {
        let dir = try Scratch("serve-flags")
        let port = freeLoopbackPort()
        let manager = try await ManagerProcess(dir: dir, extraArgs: ["--log-format", "json", "--metrics-listen", "127.0.0.1:\(port)"])
        let text = try await scrapeMetrics(port: port)
        let http = HTTPClient()
        defer { http.shutdown() }
        #expect(text.contains("ecs_manager_ready 1.0") && text.contains("ecs_manager_build_info{version="), "\(text.prefix(2000))")
        #expect(try await http.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/tasks")).status == 404, "only /metrics is served there")
        _ = try await manager.client().delegates()
        await manager.stop(SIGTERM)
        // Every line the manager logged is one JSON object with a time, a level and a message.
        let stderr = try #require(manager.child).stderr
        #expect(!stderr.isEmpty && nonJSONLogLines(stderr).isEmpty, "\(stderr.prefix(2000))")
        #expect(stderr.contains(#""message":"metrics listening""#), "\(stderr.prefix(2000))")
    }

    @Test(arguments: [
        (["--listen", ":8181"], "--listen must be HOST:PORT"),
        (["--listen", "127.0.0.1:70000"], "--listen must be HOST:PORT"),
        (["--listen", "127.0.0.1"], "--listen must be HOST:PORT"),
        (["--metrics-listen", "127.0.0.1:0"], "--metrics-listen must be HOST:PORT with a port from 1 to 65535"),
        (["--external-url", "ftp://deploy.example.com"], "--external-url"),
    ])
    func aBadAddressIsRefusedBeforeAnythingStarts(_ flags: [String], _ message: String) async throws {
        let dir = try Scratch("serve-bad")
        let token = try dir.write("token", "tok-\(UUID().uuidString)")
        let child = try Child(binDir + "/ecs-manager", ["serve", "--data", dir.file("data"), "--token-file", token] + flags, dir: dir, name: "serve")
        let status = await child.wait(timeout: .seconds(60))
        #expect(status == 2 && child.stderr.contains(message), "\(status as Any) \(child.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")), "nothing was created")
    }
}
