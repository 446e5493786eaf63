import Foundation
import ManagerAPI
import Testing

/// How `ManagerRoutes` builds paths: templates filled in order, segments and query items percent-encoded.
@Suite struct ManagerRoutesTests {
    @Test func pathsFillTheTemplateInOrder() throws {
        #expect(try ManagerRoutes.health().path == "/v1/health")
        #expect(try ManagerRoutes.heartbeat(delegateId: "d-1").path == "/v1/delegates/d-1/heartbeat")
        #expect(try ManagerRoutes.revokeToken(name: "ci.bot_2").path == "/v1/tokens/ci.bot_2/revoke")
        #expect(try ManagerRoutes.putConnector(name: "aws-prod").method == "PUT")
        #expect(try ManagerRoutes.deleteSecret(name: "s").method == "DELETE")
    }

    @Test func pathSegmentsArePercentEncoded() throws {
        #expect(try ManagerRoutes.task(id: "a/b").path == "/v1/tasks/a%2Fb")
        #expect(try ManagerRoutes.connector(name: "x?y#z").path == "/v1/connectors/x%3Fy%23z")
        #expect(try ManagerRoutes.secrets().path == "/v1/secrets")
        #expect(try ManagerRoutes.putSecret(name: "a b%c").path == "/v1/secrets/a%20b%25c")
        #expect(try ManagerRoutes.execution(id: "é").path == "/v1/executions/%C3%A9")
        // A dot segment stays a segment: nothing on the way may squash `..` into the parent route.
        #expect(try ManagerRoutes.task(id: "..").path == "/v1/tasks/%2E%2E")
        #expect(try ManagerRoutes.cancelTask(id: ".").path == "/v1/tasks/%2E/cancel")
        #expect(try ManagerRoutes.task(id: "a..b").path == "/v1/tasks/a..b")
    }

    @Test func queryItemsAreEncoded() throws {
        #expect(try ManagerRoutes.tasks(limit: 5).path == "/v1/tasks?limit=5")
        #expect(try ManagerRoutes.nextTask(delegateId: "d", wait: 2.5).path == "/v1/delegates/d/tasks/next?wait=2.500")
        #expect(try ManagerRoutes.taskLogs(taskId: "t 1", after: 7, wait: 0).path == "/v1/tasks/t%201/logs?after=7&wait=0.0")
        #expect(try ManagerRoutes.taskLogs(taskId: "t", after: 0, wait: 1, limit: 9).path == "/v1/tasks/t/logs?after=0&wait=1.0&limit=9")
        let since = try #require(ISO8601DateFormatter().date(from: "2026-01-31T12:00:00Z"))
        #expect(try ManagerRoutes.audit(since: since, limit: 10).path == "/v1/audit?limit=10&since=2026-01-31T12:00:00.000Z")
        #expect(try ManagerRoutes.audit(limit: 1000).path == "/v1/audit?limit=1000")
    }

    @Test func queryValuesCannotAddItems() throws {
        let route = try ManagerRoute(.audit, query: [URLQueryItem(name: "limit", value: "1&since=x+y#z")])
        #expect(route.path == "/v1/audit?limit=1%26since%3Dx%2By%23z")
    }

    @Test func emptyOrMissingArgumentsAreRefused() {
        #expect(throws: ManagerRouteError.emptyArgument(.task, parameter: "id")) { try ManagerRoutes.task(id: "") }
        #expect(throws: ManagerRouteError.argumentCount(.heartbeat, expected: 1, got: 0)) { try ManagerRoute(.heartbeat) }
        #expect(throws: ManagerRouteError.argumentCount(.health, expected: 0, got: 1)) { try ManagerRoute(.health, ["x"]) }
    }

    @Test func everyEndpointIsOneRoute() {
        let routes = ManagerEndpoint.allCases.map(\.route)
        #expect(Set(routes).count == routes.count, "two endpoints name the same route")
        #expect(ManagerEndpoint.allCases.allSatisfy { ($0.template.hasPrefix("/v1/") || $0 == .metrics) && ["GET", "POST", "PUT", "DELETE"].contains($0.method) })
    }
}
