import DelegateProtocol
import Foundation
import HTTPClient
import Hummingbird
import ManagerAPI
import ManagerClient
import ManagerCore
import ManagerHTTP
import Pipelines
import Synchronization
import TestSupport
import Testing

/// Every route the manager serves has a `ManagerRoutes` entry and a typed `ManagerClient` call, and the typed calls work against a real manager.
@Suite struct ManagerClientRouteTests {
    @Test func everyServedRouteIsAnEndpoint() {
        let served = RoutePermissions.routes.map(\.route).sorted()
        let typed = ManagerEndpoint.allCases.map(\.route).sorted()
        #expect(served == typed, "routes without an endpoint: \(Set(served).subtracting(typed).sorted()); endpoints not served: \(Set(typed).subtracting(served).sorted())")
    }

    @Test func everyEndpointHasATypedClientCall() async throws {
        let seen = Mutex<[(method: String, path: String)]>([])
        let server = try await LoopbackServer.start { router in
            for method in [HTTPRequest.Method.get, .post, .put, .delete] {
                router.on("**", method: method) { request, _ -> Response in
                    seen.withLock { $0.append((request.method.rawValue, request.uri.path)) }
                    return Response(status: .noContent)
                }
            }
        }
        defer { server.stop() }
        let client = ManagerClient(baseURL: server.baseURL, token: "t", http: HTTPClient())
        let connector = Connector(name: "c", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate))
        let plan = try ProtocolV1.decoder().decode(PipelinePlan.self, from: Data(#"{"pipeline": "p", "connector": "c", "timeoutSeconds": 60, "steps": []}"#.utf8))
        // Every typed call once; a 204 is an empty answer, which the calls that need one refuse.
        let calls: [@Sendable () async throws -> Void] = [
            { _ = try await client.health() },
            { _ = try await client.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: [], capacity: 1, taskTypes: [], instanceId: "i")) },
            { _ = try await client.heartbeat(delegateId: "d", HeartbeatRequest(running: [], freeCapacity: 1, status: "idle")) },
            { _ = try await client.nextTask(delegateId: "d", wait: 0) },
            { try await client.unregister(delegateId: "d", reason: "r") },
            { _ = try await client.sendLogs(taskId: "t", LogBatch(leaseId: "l", lines: [])) },
            { try await client.sendResult(taskId: "t", TaskResult(leaseId: "l", status: .succeeded)) },
            { _ = try await client.delegates() },
            { _ = try await client.submit(SubmitTaskRequest(type: "x", selectors: [], payload: [:])) },
            { _ = try await client.tasks() },
            { _ = try await client.task("t") },
            { _ = try await client.logs(taskId: "t", after: 0) },
            { try await client.cancel(taskId: "t") },
            { _ = try await client.startExecution(StartExecutionRequest(plan: plan)) },
            { _ = try await client.executions() },
            { _ = try await client.execution("e") },
            { try await client.cancelExecution("e") },
            { try await client.rollbackExecution("e") },
            { try await client.approveExecution("e", comment: "ok") },
            { try await client.rejectExecution("e") },
            { _ = try await client.connectors() },
            { _ = try await client.connector("c") },
            { try await client.putConnector(connector) },
            { try await client.deleteConnector("c") },
            { _ = try await client.testConnector("c") },
            { _ = try await client.secrets() },
            { try await client.putSecret("s", value: "v") },
            { try await client.deleteSecret("s") },
            { _ = try await client.tokens() },
            { _ = try await client.createToken(CreateTokenRequest(name: "n", kind: .api, scope: .read)) },
            { try await client.revokeToken("n") },
            { _ = try await client.audit() },
            { _ = try await client.metrics() },
            { _ = try await client.notifiers() },
            { try await client.putNotifier(NotifierSpec(name: "n", url: "http://127.0.0.1:9/n", events: [.failed])) },
            { try await client.deleteNotifier("n") },
            { _ = try await client.deliveries(limit: 5) },
        ]
        for call in calls { _ = try? await call() }
        let requests = seen.withLock { $0 }
        #expect(requests.count == calls.count)
        var reached: Set<ManagerEndpoint> = []
        for request in requests {
            let matches = ManagerEndpoint.allCases.filter { Self.matches($0, method: request.method, path: request.path) }
            #expect(matches.count == 1, "\(request.method) \(request.path) matches \(matches)")
            reached.formUnion(matches)
        }
        let missing = ManagerEndpoint.allCases.filter { !reached.contains($0) }
        #expect(missing.isEmpty, "endpoints no typed ManagerClient call reaches: \(missing.map(\.route))")
    }

    /// Whether `method` and `path` (no query) fill in `endpoint`'s template.
    static func matches(_ endpoint: ManagerEndpoint, method: String, path: String) -> Bool {
        let template = endpoint.template.split(separator: "/")
        let segments = path.split(separator: "/")
        guard endpoint.method == method, template.count == segments.count else { return false }
        return zip(template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }

    @Test func typedCallsRoundTripAgainstAManager() async throws {
        let m = try await LiveManager.start(secrets: try SecretBox(key: Array(repeating: 0x33, count: 32)))
        defer { Task { await m.stop() } }
        let client = m.client
        let start = Date().addingTimeInterval(-60)
        #expect(try await client.health().status == "ok")
        let delegate = try await m.register(tags: ["rt"])
        #expect(try await client.delegates().map(\.delegateId) == [delegate])

        let secret = try await client.putSecret("rt-key", value: "v4lue")
        #expect(secret.name == "rt-key" && secret.createdAt == secret.updatedAt)
        #expect(try await client.secrets().map(\.name) == ["rt-key"])

        let connector = Connector(name: "rt-aws", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate), delegateSelectors: ["rt"])
        #expect(try await client.putConnector(connector).connector == connector)
        #expect(try await client.connector("rt-aws").connector == connector)
        #expect(try await client.connectors().map(\.connector.name) == ["rt-aws"])

        let report = try await client.submit(TaskSubmission(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]), connectorName: "rt-aws"))
        #expect(report.connectorName == "rt-aws" && report.state == "queued")
        #expect(try await client.tasks().map(\.connectorName) == ["rt-aws"])
        #expect(try await client.cancel(taskId: report.taskId).status == "cancelled")
        #expect(try await client.executions().isEmpty)

        let created = try await client.createToken(CreateTokenRequest(name: "rt-ci", kind: .api, scope: .read))
        #expect(!created.token.isEmpty && created.info.scope == .read)
        #expect(try await client.tokens().map(\.name).contains("rt-ci"))
        let revoked = try await client.revokeToken("rt-ci")
        #expect(!revoked.alreadyRevoked && revoked.token.revokedAt != nil)
        #expect(try await client.revokeToken("rt-ci").alreadyRevoked)

        #expect(try await client.deleteConnector("rt-aws").status == "deleted")
        #expect(try await client.deleteSecret("rt-key").status == "deleted")
        let actions = try await client.audit(since: start).map(\.action)
        #expect(actions == ["delegate.register", "secret.set", "connector.apply", "task.submit", "task.cancel", "token.create", "token.revoke", "connector.delete", "secret.delete"])
        #expect(try await client.audit(since: Date().addingTimeInterval(3600)).isEmpty)

        // An id that is not one path segment as written stays one segment: it reaches the route it names (Hummingbird hands
        // the handler the segment as sent) and is not found there, rather than reaching another route.
        do {
            _ = try await client.task("a/../b")
            Issue.record("a task a/../b was found")
        } catch ManagerClientError.http(404, "not_found", let message) {
            #expect(message.hasPrefix("no task a"))
        }
        do {
            _ = try await client.execution("..")
            Issue.record("an execution .. was found")
        } catch ManagerClientError.http(404, "not_found", let message) {
            #expect(message.hasPrefix("no execution "))
        }
    }
}
