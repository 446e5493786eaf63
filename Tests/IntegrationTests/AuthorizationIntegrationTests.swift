import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import Testing

/// A token made by `ecs-manager token create`, in a file for the CLI and delegates.
struct IssuedToken {
    let name: String
    let value: String
    let file: String
}

/// Creates a token through the CLI (as the bootstrap admin); its value is the one line on standard output.
func issueToken(_ manager: ManagerProcess, _ args: [String], name: String) async throws -> IssuedToken {
    let r = try await cli(manager, ["token", "create", "--name", name] + args)
    guard r.status == 0 else { throw HarnessError("token create \(name): \(r.stderr)") }
    let value = r.stdout.trimmingCharacters(in: .newlines)
    // The message never shows the value: test output is a log too.
    #expect(r.stdout == value + "\n" && value.hasPrefix("ecsm_") && value.count == 69, "token create must print the token alone on one line (\(r.stdout.split(separator: "\n").count) lines, \(value.count) characters)")
    let file = try manager.dir.write("token-\(name)", value)
    chmod(file, 0o600)
    return IssuedToken(name: name, value: value, file: file)
}

/// Sends `method path` with `token` and `body` as-is; returns the status, the raw answer and the error code, if any.
func raw(_ manager: ManagerProcess, _ token: String, _ method: String, _ path: String, _ body: String? = nil) async throws -> (status: Int, body: String, code: String?) {
    var request = HTTPClientRequest(method: method, url: manager.url + path, headers: [("Authorization", "Bearer \(token)")], timeout: .seconds(30))
    if let body {
        request.body = Data(body.utf8)
        request.headers.append(("Content-Type", "application/json"))
    }
    let response = try await HTTPClient().send(request)
    let text = String(decoding: response.body, as: UTF8.self)
    return (response.status, text, try? ProtocolV1.decoder().decode(ErrorBody.self, from: response.body).error.code)
}

/// A register body for instance `instance` with `tags`.
func registerBody(_ instance: String, tags: [String]) throws -> String {
    String(decoding: try ProtocolV1.encoder().encode(RegisterRequest(
        name: "d-\(instance)", hostname: "h", version: "1", tags: tags, capacity: 2, taskTypes: ["delegate.echo"], instanceId: instance)), as: UTF8.self)
}

/// Delegate tokens, API key scopes and the token commands, against a real `ecs-manager serve`.
@Suite(.serialized) struct AuthorizationIntegrationTests {
    /// Every connector, secret, token and audit route.
    static let adminRoutes: [(String, String, String?)] = [
        ("GET", "/v1/connectors", nil), ("GET", "/v1/connectors/aws-prod", nil), ("PUT", "/v1/connectors/aws-prod", #"{"name":"aws-prod","type":"aws"}"#),
        ("DELETE", "/v1/connectors/aws-prod", nil), ("POST", "/v1/connectors/aws-prod/test", "{}"),
        ("GET", "/v1/secrets", nil), ("PUT", "/v1/secrets/prod-secret", #"{"value":"x"}"#), ("DELETE", "/v1/secrets/prod-secret", nil),
        ("GET", "/v1/tokens", nil), ("POST", "/v1/tokens", #"{"name":"x","kind":"api","scope":"admin"}"#), ("POST", "/v1/tokens/dev/revoke", "{}"),
        ("GET", "/v1/audit", nil),
    ]

    @Test func tokenCommandsShowAValueOnceListWithoutItAndRevokeAtOnce() async throws {
        let dir = try Scratch("auth-tokens")
        let manager = try await ManagerProcess(dir: dir)
        let ci = try await issueToken(manager, ["--kind", "api", "--scope", "run"], name: "ci")
        let dev = try await issueToken(manager, ["--kind", "delegate", "--allowed-tags", "dev,eu"], name: "dev")
        #expect(try await raw(manager, ci.value, "GET", "/v1/tasks").status == 200)

        let list = try await cli(manager, ["token", "list"])
        let lines = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.count == 3 && lines[0] == ["NAME", "KIND", "SCOPE", "ALLOWED", "TAGS", "CREATED", "LAST", "USED", "REVOKED"], "\(list.stdout)")
        #expect(lines[1].count == 7 && lines[1][0...3] == ["ci", "api", "run", "-"] && lines[1][5].hasPrefix("20") && lines[1][6] == "-", "\(list.stdout)")
        #expect(lines[2].count == 7 && lines[2][0...3] == ["dev", "delegate", "-", "dev,eu"] && lines[2][5] == "never", "\(list.stdout)")
        let json = try await raw(manager, manager.token, "GET", "/v1/tokens")
        for output in [list.stdout, json.body] {
            #expect(!output.contains(ci.value) && !output.contains(dev.value) && !output.contains(String(ci.value.dropFirst(5).prefix(16))))
        }
        let taken = try await cli(manager, ["token", "create", "--kind", "api", "--scope", "read", "--name", "ci"])
        #expect(taken.status != 0 && taken.stdout.isEmpty && taken.stderr.contains("a token named ci exists"), "\(taken.stderr)")
        let noScope = try await cli(manager, ["token", "create", "--kind", "api", "--name", "x"])
        #expect(noScope.status != 0 && noScope.stderr.contains("--scope is required"))
        let reserved = try await raw(manager, manager.token, "POST", "/v1/tokens", #"{"name":"bootstrap","kind":"api","scope":"admin"}"#)
        #expect(reserved.status == 400 && reserved.body.contains("serve --token-file"))

        let revoke = try await cli(manager, ["token", "revoke", "ci"])
        #expect(revoke.status == 0 && revoke.stdout == "token ci revoked\n", "\(revoke.stdout)\(revoke.stderr)")
        let after = try await raw(manager, ci.value, "GET", "/v1/tasks")
        #expect(after.status == 401 && after.code == "unauthorized" && after.body.contains("token 'ci' was revoked"), "\(after.body)")
        // The CLI with the revoked key says so too.
        let refused = try await cli(manager, ["tasks"], tokenFile: ci.file)
        #expect(refused.status != 0 && refused.stderr.contains("401") && refused.stderr.contains("revoked"), "\(refused.stderr)")
        let listed = try await cli(manager, ["token", "list"]).stdout
        let ciRow = listed.split(separator: "\n").first { $0.hasPrefix("ci ") }?.split(separator: " ").map(String.init) ?? []
        #expect(ciRow.count == 7 && ciRow[1...2] == ["api", "run"] && ciRow[6].hasPrefix("20"), "revoked, with the time: \(listed)")
        #expect(try await cli(manager, ["token", "revoke", "ci"]).stdout == "token ci was already revoked\n")
        let unknown = try await cli(manager, ["token", "revoke", "nobody"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no token nobody"))
    }

    @Test func aDelegateTokenActsOnlyAsItsOwnDelegate() async throws {
        let dir = try Scratch("auth-delegate")
        let manager = try await ConnectorRoutingTests.manager(dir)
        let dev = try await issueToken(manager, ["--kind", "delegate", "--allowed-tags", "dev"], name: "dev")
        let admin = manager.token
        // A delegate of the bootstrap key, and a task of the admin's.
        let otherReg = try await raw(manager, admin, "POST", "/v1/delegates/register", try registerBody("i-admin", tags: ["dev"]))
        let otherId = try ProtocolV1.decoder().decode(RegisterResponse.self, from: Data(otherReg.body.utf8)).delegateId

        let refusedTag = try await raw(manager, dev.value, "POST", "/v1/delegates/register", try registerBody("i-dev", tags: ["dev", "prod"]))
        #expect(refusedTag.status == 403 && refusedTag.code == "tag_not_allowed", "\(refusedTag.body)")
        #expect(refusedTag.body.contains("delegate token 'dev' may register only with tags [dev]; not allowed: [prod]"), "\(refusedTag.body)")
        let reg = try await raw(manager, dev.value, "POST", "/v1/delegates/register", try registerBody("i-dev", tags: ["dev"]))
        #expect(reg.status == 200, "\(reg.body)")
        let myId = try ProtocolV1.decoder().decode(RegisterResponse.self, from: Data(reg.body.utf8)).delegateId
        // Taking over another delegate token's instance is refused; moving one from the bootstrap key to a token is not.
        let qa = try await issueToken(manager, ["--kind", "delegate"], name: "qa")
        #expect(try await raw(manager, qa.value, "POST", "/v1/delegates/register", try registerBody("i-qa", tags: ["dev"])).status == 200)
        let takeover = try await raw(manager, dev.value, "POST", "/v1/delegates/register", try registerBody("i-qa", tags: ["dev"]))
        #expect(takeover.status == 403 && takeover.body.contains("registered with another delegate token"), "\(takeover.body)")
        #expect(try await raw(manager, admin, "POST", "/v1/delegates/register", try registerBody("i-legacy", tags: ["dev"])).status == 200)
        #expect(try await raw(manager, dev.value, "POST", "/v1/delegates/register", try registerBody("i-legacy", tags: ["dev"])).status == 200)

        let submit = #"{"type":"delegate.echo","selectors":[],"payload":{"count":1}}"#
        let denied = try await raw(manager, dev.value, "POST", "/v1/tasks", submit)
        #expect(denied.status == 403 && denied.code == "forbidden" && denied.body.contains("delegate token 'dev' may not call POST /v1/tasks"), "\(denied.body)")
        let run = try await raw(manager, dev.value, "POST", "/v1/executions", #"{"plan":{"pipeline":"p","connector":"aws-prod","timeoutSeconds":60,"steps":[]}}"#)
        #expect(run.status == 403 && run.code == "forbidden", "\(run.body)")
        for (method, path, body) in Self.adminRoutes {
            let r = try await raw(manager, dev.value, method, path, body)
            #expect(r.status == 403 && r.code == "forbidden", "\(method) \(path): \(r.status) \(r.body)")
        }
        for path in ["/v1/tasks", "/v1/delegates", "/v1/executions"] {
            #expect(try await raw(manager, dev.value, "GET", path).status == 403, "\(path)")
        }

        // Its own delegate polls and reports its own lease; the admin's delegate and the admin's tasks are not its own.
        let first = try await raw(manager, admin, "POST", "/v1/tasks", submit)
        let firstId = try ProtocolV1.decoder().decode(TaskInfo.self, from: Data(first.body.utf8)).taskId
        #expect(try await raw(manager, dev.value, "GET", "/v1/tasks/\(firstId)").status == 403)
        #expect(try await raw(manager, dev.value, "GET", "/v1/tasks/\(firstId)/logs").status == 403)
        let leased = try await raw(manager, dev.value, "GET", "/v1/delegates/\(myId)/tasks/next?wait=5")
        #expect(leased.status == 200, "\(leased.body)")
        let envelope = try ProtocolV1.decoder().decode(TaskEnvelope.self, from: Data(leased.body.utf8))
        let line = #"{"leaseId":"\#(envelope.leaseId)","lines":[{"seq":1,"time":"2026-01-01T00:00:00.000Z","level":"info","unit":"u","text":"hi"}]}"#
        #expect(try await raw(manager, dev.value, "POST", "/v1/tasks/\(envelope.taskId)/logs", line).status == 200)
        #expect(try await raw(manager, dev.value, "POST", "/v1/delegates/\(myId)/heartbeat", #"{"running":[],"freeCapacity":2,"status":"active"}"#).status == 200)
        #expect(try await raw(manager, dev.value, "POST", "/v1/delegates/\(otherId)/heartbeat", #"{"running":[],"freeCapacity":2,"status":"active"}"#).status == 403)
        #expect(try await raw(manager, dev.value, "GET", "/v1/delegates/\(otherId)/tasks/next?wait=0").status == 403)
        #expect(try await raw(manager, dev.value, "POST", "/v1/delegates/\(otherId)/unregister", #"{"reason":"x"}"#).status == 403)
        // A task leased to the admin's delegate: the dev token may not report on it.
        _ = try await raw(manager, admin, "POST", "/v1/tasks", submit)
        let theirs = try await raw(manager, admin, "GET", "/v1/delegates/\(otherId)/tasks/next?wait=5")
        let theirEnvelope = try ProtocolV1.decoder().decode(TaskEnvelope.self, from: Data(theirs.body.utf8))
        let result = #"{"leaseId":"\#(theirEnvelope.leaseId)","status":"succeeded","outputs":{}}"#
        let spoof = try await raw(manager, dev.value, "POST", "/v1/tasks/\(theirEnvelope.taskId)/result", result)
        #expect(spoof.status == 403 && spoof.body.contains("not leased to a delegate that registered with delegate token 'dev'"), "\(spoof.body)")
        let mine = try await raw(manager, dev.value, "POST", "/v1/tasks/\(envelope.taskId)/result", #"{"leaseId":"\#(envelope.leaseId)","status":"succeeded","outputs":{}}"#)
        #expect(mine.status == 200, "\(mine.body)")
    }

    @Test func scopesNestAndAreDisjointFromDelegateTokens() async throws {
        let dir = try Scratch("auth-scopes")
        let manager = try await ConnectorRoutingTests.manager(dir)
        let read = try await issueToken(manager, ["--kind", "api", "--scope", "read"], name: "reader")
        let run = try await issueToken(manager, ["--kind", "api", "--scope", "run"], name: "runner")
        let admin = try await issueToken(manager, ["--kind", "api", "--scope", "admin"], name: "root")
        let submit = #"{"type":"delegate.echo","selectors":[],"payload":{"count":1}}"#
        let plan = #"{"plan":{"pipeline":"p","connector":"aws-prod","timeoutSeconds":60,"steps":[]}}"#

        #expect(try await raw(manager, read.value, "GET", "/v1/tasks").status == 200)
        #expect(try await raw(manager, read.value, "GET", "/v1/executions").status == 200)
        let readRun = try await raw(manager, read.value, "POST", "/v1/executions", plan)
        #expect(readRun.status == 403 && readRun.body.contains("API key 'reader' (scope read) may not call POST /v1/executions: it needs an API key with scope run or admin"), "\(readRun.body)")
        #expect(try await raw(manager, read.value, "POST", "/v1/tasks", submit).status == 403)

        // A delegate that runs delegate.echo, so the task type is known.
        #expect(try await raw(manager, manager.token, "POST", "/v1/delegates/register", try registerBody("i-echo", tags: [])).status == 200)
        let task = try await raw(manager, run.value, "POST", "/v1/tasks", submit)
        #expect(task.status == 201, "\(task.body)")
        // Past authorization, the run key reaches the route (which refuses the empty plan for its own reasons).
        #expect(try await raw(manager, run.value, "POST", "/v1/executions", plan).status == 400)
        let apply = try await raw(manager, run.value, "PUT", "/v1/connectors/aws-prod", #"{"name":"aws-prod","type":"aws"}"#)
        #expect(apply.status == 403 && apply.body.contains("it needs an API key with scope admin"), "\(apply.body)")
        for (method, path, body) in Self.adminRoutes {
            #expect(try await raw(manager, run.value, method, path, body).status == 403, "\(method) \(path)")
        }

        let value = "s3cret-\(UUID().uuidString)"
        #expect(try await raw(manager, admin.value, "PUT", "/v1/secrets/db", #"{"value":"\#(value)"}"#).status == 201)
        let secrets = try await raw(manager, admin.value, "GET", "/v1/secrets")
        #expect(secrets.status == 200 && secrets.body.contains("\"db\"") && !secrets.body.contains(value))
        // API keys are not delegate tokens, whatever their scope.
        let reg = try await raw(manager, admin.value, "POST", "/v1/delegates/register", try registerBody("i-x", tags: []))
        #expect(reg.status == 403 && reg.body.contains("it needs a delegate token"), "\(reg.body)")
        // No answer anywhere holds the secret's value or a token's.
        for path in ["/v1/secrets", "/v1/tokens", "/v1/tasks", "/v1/audit", "/v1/connectors"] {
            let r = try await raw(manager, manager.token, "GET", path)
            for hidden in [value, read.value, run.value, admin.value] { #expect(!r.body.contains(hidden), "\(path)") }
        }
    }
}
