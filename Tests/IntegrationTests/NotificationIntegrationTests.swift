import DelegateProtocol
import Digests
import Foundation
import Hummingbird
import ManagerAPI
import ManagerClient
import Synchronization
import Testing
import TestSupport

/// Notifications end to end: a real `ecs-manager` posting to a real HTTP receiver on loopback, killed and restarted between attempts.
@Suite(.serialized) struct NotificationIntegrationTests {
    /// A webhook receiver that refuses its first `failFirst` requests, recording every one.
    final class Receiver: Sendable {
        struct Hit: Sendable {
            let event: String
            let delivery: String
            let signature: String?
            let body: Data
            let accepted: Bool
        }

        let failFirst: Int
        private let hits = Mutex<[Hit]>([])
        init(failFirst: Int) { self.failFirst = failFirst }

        var all: [Hit] { hits.withLock { $0 } }

        /// Records a request; answers whether it is accepted (2xx).
        func record(event: String, delivery: String, signature: String?, body: Data) -> Bool {
            hits.withLock { h in
                let accepted = h.count >= failFirst
                h.append(Hit(event: event, delivery: delivery, signature: signature, body: body, accepted: accepted))
                return accepted
            }
        }
    }

    @Test func aReceiverThatFailsTwiceGetsEachEventOnceSignedAcrossAManagerRestart() async throws {
        let dir = try Scratch("notify")
        let receiver = Receiver(failFirst: 2)
        let server = try await LoopbackServer.start { router in
            router.post("hook") { req, _ in
                let body = try await req.body.collect(upTo: 1 << 20)
                let accepted = receiver.record(
                    event: req.headers[.init("X-ECS-Event")!] ?? "", delivery: req.headers[.init("X-ECS-Delivery")!] ?? "",
                    signature: req.headers[.init("X-Signature-256")!], body: Data(buffer: body))
                return Response(status: accepted ? .noContent : .internalServerError)
            }
        }
        defer { server.stop() }
        let manager = try await ManagerProcess(dir: dir, extraArgs: ["--secrets-key-file", try secretsKeyFile(dir), "--external-url", "https://deploy.example.com"])
        let client = manager.client()
        let hmacKey = "hmac-\(UUID().uuidString)"
        try await client.putSecret("hook-hmac", value: hmacKey)
        try await client.putConnector(Connector(name: "aws-none", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate)))

        // The notifier, from a file, through the CLI.
        let file = try dir.write("notifier.yaml", """
            name: team
            url: \(server.baseURL)/hook
            events: [started, waiting, succeeded, failed, rolledBack]
            secretName: hook-hmac
            """)
        let apply = try await cli(manager, ["notifier", "apply", file])
        #expect(apply.status == 0 && apply.stdout.contains("notifier team created"), "\(apply.stderr)")
        let listed = try await cli(manager, ["notifier", "list"])
        #expect(listed.stdout.contains("NAME") && listed.stdout.contains("team") && listed.stdout.contains("hook-hmac"), "\(listed.stdout)")

        // A pipeline of gates alone: no delegate is needed for an approval and a wait.
        let pipeline = try dir.write("gated.yaml", """
            pipeline: notify-demo
            connector: aws-none
            cluster: c
            manifests: {}
            steps:
              - {type: approval, message: 'Ship it?', timeoutSeconds: 600}
              - {type: wait, seconds: 1}
            """)
        let run = try await cli(manager, ["run", pipeline])
        #expect(run.status == 0, "\(run.stderr)")
        let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // The receiver refuses the first two attempts; once the manager has recorded both, it is killed and started again.
        try await eventually(timeout: .seconds(90), "two refused attempts recorded") {
            let refused = Set(receiver.all.filter { !$0.accepted }.map(\.delivery))
            guard receiver.all.count >= 2 else { return false }
            let recorded = try await client.deliveries().filter { $0.lastStatus == 500 || $0.state == .delivered }.map { String($0.id) }
            return refused.isSubset(of: Set(recorded))
        }
        await manager.stop(SIGKILL)
        try await manager.start()

        try await eventually(timeout: .seconds(120), "the waiting notification accepted") { receiver.all.contains { $0.accepted && $0.event == "waiting" } }
        let approve = try await cli(manager, ["approve", id])
        #expect(approve.status == 0, "\(approve.stderr)")
        try await eventually(timeout: .seconds(120), "the succeeded notification accepted") { receiver.all.contains { $0.accepted && $0.event == "succeeded" } }

        let hits = receiver.all
        #expect(hits.filter { !$0.accepted }.count == 2)
        let accepted = hits.filter(\.accepted)
        #expect(accepted.map(\.event).sorted() == ["started", "succeeded", "waiting"], "each event accepted exactly once: \(accepted.map(\.event))")
        #expect(Set(accepted.map(\.delivery)).count == 3)
        for hit in hits {
            #expect(hit.signature == "sha256=" + HexEncoding.lowercase(HMACKeySchedule(key: Array(hmacKey.utf8)).mac(Array(hit.body))), "\(hit.event) is signed")
        }
        let waiting = try ProtocolV1.decoder().decode(NotificationMessage.self, from: try #require(accepted.first { $0.event == "waiting" }).body)
        #expect(waiting.executionId == id && waiting.pipeline == "notify-demo" && waiting.step == "Approval")
        #expect(waiting.approveCommand == "ecs-manager approve \(id) --manager https://deploy.example.com")
        #expect(waiting.consoleURL == "https://deploy.example.com/console/executions/\(id)")
        #expect(waiting.text.contains("Ship it?"))

        // What the operator sees.
        let deliveries = try await cli(manager, ["notifier", "deliveries", "-o", "json"])
        let rows = try ProtocolV1.decoder().decode([NotificationDelivery].self, from: Data(deliveries.stdout.utf8))
        #expect(rows.count == 3 && rows.allSatisfy { $0.state == .delivered && $0.notifier == "team" && $0.executionId == id && $0.lastStatus == 204 })
        #expect(rows.map(\.attempts).reduce(0, +) >= 5, "three deliveries and two retries: \(rows.map(\.attempts))")
        #expect(!(try String(contentsOfFile: dir.file("manager.err"), encoding: .utf8)).contains(hmacKey), "the signing key is never logged")
        await manager.stop(SIGTERM)
    }
}
