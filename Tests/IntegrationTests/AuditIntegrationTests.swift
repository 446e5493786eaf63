import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import Testing

/// `ecs-manager audit`: every audited action, done with different tokens through real processes, listed with the token's name.
@Suite(.serialized) struct AuditIntegrationTests {
    @Test func theAuditTrailListsEachActionWithTheTokenName() async throws {
        let dir = try Scratch("audit")
        let manager = try await ConnectorRoutingTests.manager(dir)
        let start = Date()
        let ops = try await issueToken(manager, ["--kind", "api", "--scope", "admin"], name: "ops")
        let ci = try await issueToken(manager, ["--kind", "api", "--scope", "run"], name: "ci")
        let fleet = try await issueToken(manager, ["--kind", "delegate", "--allowed-tags", "dev"], name: "dev-fleet")
        let doomed = try await issueToken(manager, ["--kind", "api", "--scope", "read"], name: "doomed")

        // Admin work with the ops key: secrets and a connector.
        for (name, value) in [("dev-key-id", "AKIDEXAMPLE"), ("dev-secret", "audit-s3cret")] {
            #expect(try await cli(manager, ["secret", "set", name], stdin: value, tokenFile: ops.file).status == 0)
        }
        let connector = try dir.write("aws-dev.yaml", """
            name: aws-dev
            type: aws
            region: us-east-1
            credentials:
              kind: static
              accessKeyIdSecret: dev-key-id
              secretAccessKeySecret: dev-secret
            delegateSelectors: [dev]
            """)
        #expect(try await cli(manager, ["connector", "apply", connector], tokenFile: ops.file).status == 0)

        // A delegate with the fleet token registers, runs what ci queues, and leaves.
        let delegate = try DelegateProcess(dir: dir, name: "dev-1", managerURL: manager.url, tokenFile: fleet.file, tags: ["dev"])
        let delegateId = try await connectedDelegate(manager.client(), name: "dev-1")
        let submit = try await cli(manager, ["submit", "--type", "delegate.echo", "--selector", "dev", "--payload", try dir.write("p.json", #"{"count":1}"#)], tokenFile: ci.file)
        let taskId = submit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(submit.status == 0 && taskId.hasPrefix("task-"), "\(submit.stderr)")
        let queued = try await cli(manager, ["submit", "--type", "delegate.echo", "--selector", "nobody-has-this"], tokenFile: ci.file)
        let queuedId = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await cli(manager, ["cancel", queuedId], tokenFile: ci.file).status == 0)

        // A one-step execution through the connector, run and then rolled back by ci.
        let plan = #"{"plan":{"pipeline":"audit-demo","connector":"aws-dev","timeoutSeconds":60,"steps":[{"id":"audit-demo/echo","name":"Echo","type":"delegate.echo","payload":{"count":1}}]}}"#
        let started = try await raw(manager, ci.value, "POST", "/v1/executions", plan)
        #expect(started.status == 201, "\(started.body)")
        let executionId = try #require(try JSONDecoder().decode([String: JSONValue].self, from: Data(started.body.utf8))["executionId"]?.stringValue)
        try await eventually(timeout: .seconds(30), "execution \(executionId) succeeded") {
            try await raw(manager, ci.value, "GET", "/v1/executions/\(executionId)").body.contains(#""phase":"succeeded""#)
        }
        let rollback = try await raw(manager, ci.value, "POST", "/v1/executions/\(executionId)/rollback", "{}")
        #expect(rollback.status == 200, "\(rollback.body)")
        delegate.child.signal(SIGTERM)
        #expect(await delegate.child.wait(timeout: .seconds(120)) == 0)
        // With no delegate left, the second execution's step stays queued until ci cancels it (an execution that
        // already finished would answer 409 and leave nothing to audit).
        let second = try await raw(manager, ci.value, "POST", "/v1/executions", plan)
        let secondId = try #require(try JSONDecoder().decode([String: JSONValue].self, from: Data(second.body.utf8))["executionId"]?.stringValue)
        let cancelled = try await raw(manager, ci.value, "POST", "/v1/executions/\(secondId)/cancel", "{}")
        #expect(cancelled.status == 200, "\(cancelled.body)")
        #expect(try await cli(manager, ["connector", "delete", "aws-dev"], tokenFile: ops.file).status == 0)
        #expect(try await cli(manager, ["secret", "delete", "dev-secret"], tokenFile: ops.file).status == 0)
        #expect(try await cli(manager, ["token", "revoke", "doomed"], tokenFile: ops.file).status == 0)
        _ = doomed

        let audit = try await cli(manager, ["audit"], tokenFile: ops.file)
        #expect(audit.status == 0, "\(audit.stderr)")
        let table = audit.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(table.first == ["TIME", "ACTOR", "ACTION", "TARGET", "DETAIL"], "\(audit.stdout)")
        let rows = Array(table.dropFirst())
        /// Whether a row says `actor` did `action` to `target`.
        func has(_ actor: String, _ action: String, _ target: String) -> Bool {
            rows.contains { $0.count >= 4 && $0[1] == actor && $0[2] == action && $0[3] == target }
        }
        for (actor, action, target) in [
            ("bootstrap", "token.create", "ops"), ("bootstrap", "token.create", "dev-fleet"),
            ("ops", "secret.set", "dev-key-id"), ("ops", "connector.apply", "aws-dev"),
            ("dev-fleet", "delegate.register", delegateId), ("ci", "task.submit", taskId), ("ci", "task.cancel", queuedId),
            ("ci", "execution.run", executionId), ("ci", "execution.rollback", executionId), ("ci", "execution.cancel", secondId),
            ("dev-fleet", "delegate.unregister", delegateId), ("ops", "connector.delete", "aws-dev"), ("ops", "secret.delete", "dev-secret"),
            ("ops", "token.revoke", "doomed"),
        ] {
            #expect(has(actor, action, target), "missing \(actor) \(action) \(target) in:\n\(audit.stdout)")
        }
        #expect(!audit.stdout.contains("audit-s3cret") && !audit.stdout.contains(ops.value))
        // --since narrows by time: nothing is older than the start, nothing newer than now.
        let since = try await cli(manager, ["audit", "--since", ISO8601Millis.string(from: start.addingTimeInterval(-1)), "--json"], tokenFile: ops.file)
        #expect(try ProtocolV1.decoder().decode([[String: JSONValue]].self, from: Data(since.stdout.utf8)).count == rows.count)
        let future = try await cli(manager, ["audit", "--since", ISO8601Millis.string(from: Date().addingTimeInterval(3600))], tokenFile: ops.file)
        #expect(future.status == 0 && future.stdout == "No audit entries found.\n", "\(future.stdout)")
        let bad = try await cli(manager, ["audit", "--since", "yesterday"], tokenFile: ops.file)
        #expect(bad.status != 0 && bad.stderr.contains("--since must be an ISO 8601 time"))
        // Only admin keys read the trail.
        let denied = try await cli(manager, ["audit"], tokenFile: ci.file)
        #expect(denied.status != 0 && denied.stderr.contains("403"), "\(denied.stderr)")
    }
}
