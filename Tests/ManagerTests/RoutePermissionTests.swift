import DelegateProtocol
import Foundation
import HTTPClient
import ManagerHTTP
import Testing

/// The route table against the routes the manager serves, and hostile token requests.
@Suite struct RoutePermissionTests {
    @Test func everyRouteInTheTableIsServed() async throws {
        let manager = try await LiveManager.start()
        defer { Task { await manager.stop() } }
        #expect(RoutePermissions.routes.count >= 30)
        for (route, _) in RoutePermissions.routes {
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            let path = parts[1].replacingOccurrences(of: "{id}", with: "x").replacingOccurrences(of: "{name}", with: "x")
            let answer = try await manager.send(parts[0], path, parts[0] == "GET" || parts[0] == "DELETE" ? nil : "{}")
            // A route the router does not know answers a bare 404; a served one answers JSON (an error names its code).
            // (`/metrics` answers Prometheus text.)
            #expect(answer.body.hasPrefix("{") || answer.body.hasPrefix("[") || (route == "GET /metrics" && answer.body.hasPrefix("# HELP")),
                    "\(route): \(answer.status) \(answer.body.prefix(200))")
        }
        // A path no route serves needs only a live token and answers 404.
        let unserved = try await manager.send("GET", "/v1/nothing-here")
        #expect(unserved.status == 404 && !unserved.body.hasPrefix("{"), "\(unserved.body)")
    }

    @Test func theTableSplitsRoutesByPermission() {
        let needs = Dictionary(uniqueKeysWithValues: RoutePermissions.routes.map { ($0.route, $0.needs) })
        #expect(needs["POST /v1/tasks"] == "run" && needs["POST /v1/executions"] == "run" && needs["POST /v1/executions/{id}/rollback"] == "run")
        #expect(needs["GET /v1/tasks/{id}"] == "read" && needs["GET /v1/tasks/{id}/logs"] == "read" && needs["GET /v1/delegates"] == "read")
        #expect(needs["POST /v1/tasks/{id}/result"] == "delegate" && needs["GET /v1/delegates/{id}/tasks/next"] == "delegate")
        #expect(needs.filter { $0.key.contains("/connectors") || $0.key.contains("/secrets") || $0.key.contains("/tokens") || $0.key.contains("/audit") }.values.allSatisfy { $0 == "admin" })
        #expect(needs["GET /v1/health"] == "authenticated")
    }

    @Test func hostileTokenRequestsAreRefusedNamingTheMember() async throws {
        let manager = try await LiveManager.start()
        defer { Task { await manager.stop() } }
        let cases: [(String, String)] = [
            (#"{"name":"\#(String(repeating: "a", count: 65))","kind":"api","scope":"read"}"#, "member 'name'"),
            (#"{"name":"a/b","kind":"api","scope":"read"}"#, "member 'name'"),
            (#"{"name":"ok","kind":"root","scope":"read"}"#, "kind"),
            (#"{"name":"ok","kind":"api","scope":"superuser"}"#, "scope"),
            (#"{"name":"ok","kind":"api","scope":"read","allowedTags":["a"]}"#, "member 'allowedTags' is only for delegate tokens"),
            (#"{"name":"ok","kind":"delegate","scope":"read"}"#, "member 'scope' is only for API keys"),
            (#"{"name":"ok","kind":"delegate","allowedTags":[]}"#, "member 'allowedTags' must list at least one tag"),
            (#"{"name":"ok","kind":"delegate","allowedTags":["a\u0007"]}"#, "member 'allowedTags[0]'"),
            (#"{"name":"ok","kind":"delegate","allowedTags":[\#((0..<33).map { "\"t\($0)\"" }.joined(separator: ","))]}"#, "at most 32"),
            (#"{"name":"ok","kind":"api","scope":"read","extra":"#, "TokenRequest"),
        ]
        for (body, needle) in cases {
            let answer = try await manager.send("POST", "/v1/tokens", body)
            #expect(answer.status == 400 && answer.body.contains(needle), "\(body.prefix(80)): \(answer.status) \(answer.body)")
        }
        #expect(try await manager.send("GET", "/v1/tokens").body == "[]")
        #expect(try await manager.send("POST", "/v1/tokens/..%2F/revoke", "{}").status == 400)
        let long = try await manager.send("GET", "/v1/audit?since=" + String(repeating: "9", count: 100))
        #expect(long.status == 400 && long.body.contains("'since'"))
    }

    @Test func overlongAndUnknownBearerTokensAre401() async throws {
        let manager = try await LiveManager.start()
        defer { Task { await manager.stop() } }
        for token in [String(repeating: "x", count: 5000), "ecsm_" + String(repeating: "0", count: 64), ""] {
            let r = try await manager.http.send(HTTPClientRequest(method: "GET", url: manager.url + "/v1/tasks", headers: [("Authorization", "Bearer \(token)")]))
            #expect(r.status == 401 && String(decoding: r.body, as: UTF8.self).contains("unauthorized"))
        }
    }
}
