import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import Testing

/// Revoking a delegate's token while it runs a task, and a delegate token that may not claim a tag, with real processes.
@Suite(.serialized) struct RevocationIntegrationTests {
    @Test func revokingADelegatesTokenMidTaskStopsItReportsTheTaskAndRefusesTheNextCall() async throws {
        let dir = try Scratch("auth-revoke")
        // Heartbeat 1 s, poll wait 2 s, lease 5 s.
        let manager = try await ConnectorRoutingTests.manager(dir)
        let admin = manager.client()
        let dev = try await issueToken(manager, ["--kind", "delegate", "--allowed-tags", "dev"], name: "dev-fleet")
        let delegate = try DelegateProcess(dir: dir, name: "dev-1", managerURL: manager.url, tokenFile: dev.file, tags: ["dev"])
        let delegateId = try await connectedDelegate(admin, name: "dev-1")

        // A task that logs a line every 100 ms for 20 s.
        let running = try await admin.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["dev"], payload: ["count": 200, "delayMillis": 100]))
        try await eventually(timeout: .seconds(20), "the task running on dev-1") { try await admin.task(running.taskId).logLines >= 3 }

        let revokedAt = ContinuousClock.now
        let revoke = try await cli(manager, ["token", "revoke", "dev-fleet"])
        #expect(revoke.status == 0 && revoke.stdout.contains("delegates told to stop: \(delegateId)") && revoke.stdout.contains("running tasks failed: \(running.taskId)"), "\(revoke.stdout)\(revoke.stderr)")

        // The task is reported at once, with the reason.
        let failed = try await admin.task(running.taskId)
        #expect(failed.state == "failed" && failed.error?.code == "token.revoked", "\(failed)")
        #expect(failed.error?.message.contains("the token 'dev-fleet' of delegate dev-1") == true, "\(failed.error?.message ?? "")")

        // The delegate hears 401 on its next call, stops taking tasks, says why, and exits.
        let status = await delegate.child.wait(timeout: .seconds(120))
        let stopped = ContinuousClock.now - revokedAt
        print("revocation: delegate stopped \(stopped) after the revoke (heartbeat 1 s)")
        #expect(status == 1, "exit status \(String(describing: status)); stderr: \(delegate.child.stderr.suffix(6000))")
        let log = delegate.child.stderr
        #expect(log.contains("the manager refused this delegate's token: not taking tasks any more"), "\(log)")
        #expect(log.contains("token 'dev-fleet' was revoked at"), "\(log)")
        #expect(!log.contains(dev.value))

        // Nothing takes the next task, and the manager says why it waits; the token is refused (401).
        let next = try await admin.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["dev"], payload: ["count": 1]))
        let waiting = try await admin.task(next.taskId)
        #expect(waiting.state == "queued" && waiting.delegateId == nil, "\(waiting)")
        let call = try await raw(manager, dev.value, "POST", "/v1/delegates/\(delegateId)/heartbeat", #"{"running":[],"freeCapacity":4,"status":"active"}"#)
        #expect(call.status == 401 && call.body.contains("token 'dev-fleet' was revoked"), "\(call.body)")
        #expect(try await admin.delegates().first { $0.delegateId == delegateId }?.state == "unregistered")
    }

    @Test func aDelegateTokenCannotClaimATagOutsideItsAllowedTags() async throws {
        let dir = try Scratch("auth-tags")
        let manager = try await ManagerProcess(dir: dir)
        let dev = try await issueToken(manager, ["--kind", "delegate", "--allowed-tags", "dev"], name: "dev")
        let delegate = try DelegateProcess(dir: dir, name: "sneaky", managerURL: manager.url, tokenFile: dev.file, tags: ["dev", "prod"])
        let status = await delegate.child.wait(timeout: .seconds(120))
        #expect(status == 1, "exit status \(String(describing: status)); stderr: \(delegate.child.stderr)")
        #expect(delegate.child.stderr.contains("delegate token 'dev' may register only with tags [dev]; not allowed: [prod]"), "\(delegate.child.stderr)")
        #expect(try await manager.client().delegates().isEmpty)
    }
}
