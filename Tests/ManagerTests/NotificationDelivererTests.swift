import DelegateProtocol
import Digests
import Foundation
import Logging
import ManagerAPI
import ManagerCore
import ManagerSQLite
import Synchronization
import Testing

/// The deliverer over a real SQLite outbox and a recording transport: signing, formats, retries on the backoff, giving up.
@Suite struct NotificationDelivererTests {
    /// Answers each post with the next scripted status (or error), recording every request.
    final class ScriptedTransport: NotificationTransport, Sendable {
        enum Answer: Sendable { case status(Int), refused }
        private let state: Mutex<(answers: [Answer], requests: [NotificationRequest])>
        init(_ answers: [Answer]) { state = Mutex((answers, [])) }
        var requests: [NotificationRequest] { state.withLock { $0.requests } }

        func post(_ request: NotificationRequest, timeout: Duration) async throws -> Int {
            let answer: Answer = state.withLock { s in
                s.requests.append(request)
                return s.answers.isEmpty ? .status(200) : s.answers.removeFirst()
            }
            switch answer {
            case .status(let code): return code
            case .refused: throw URLError(.cannotConnectToHost)
            }
        }
    }

    /// A fresh store, its vault holding `secret` as `hook-key`.
    func world() throws -> (ManagerStore, SecretVault) {
        let dir = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try ManagerStore(path: dir + "/m.sqlite")
        return (store, SecretVault(repository: store, box: try SecretBox(key: [UInt8](repeating: 7, count: 32))))
    }

    func deliverer(_ store: ManagerStore, _ transport: ScriptedTransport, vault: SecretVault?, maxAttempts: Int = 12) -> NotificationDeliverer {
        var policy = NotificationDeliverer.Policy()
        policy.maxAttempts = maxAttempts
        policy.jitter = { 0 }  // retries are due at once
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return NotificationDeliverer(repository: store, transport: transport, vault: vault, wakeups: Notifier(), logger: logger, policy: policy)
    }

    let message = NotificationMessage(
        event: .waiting, executionId: "exec-1", pipeline: "web", step: "Approval", phase: "waiting", time: Date(timeIntervalSince1970: 1_800_000_000),
        text: "web: execution exec-1 waits for approval", approveCommand: "ecs-manager approve exec-1", consoleURL: "http://m/console/executions/exec-1")

    @Test func theSignatureIsRFC4231HMACSHA256OfTheBody() {
        // RFC 4231 test case 2.
        #expect(NotificationRequest.signature(body: Data("what do ya want for nothing?".utf8), secret: "Jefe")
            == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func aSignedJSONDeliveryCarriesTheMessageAndItsSignature() async throws {
        let (store, vault) = try world()
        _ = try await vault.put("hook-key", value: "s3cret")
        try await store.putNotifier(NotifierSpec(name: "ops", url: "http://127.0.0.1:9/hook", events: [.waiting], secretName: "hook-key"), now: Date())
        try await store.enqueueNotification(message, key: "exec-1:waiting:0", now: Date())
        let transport = ScriptedTransport([.status(204)])
        #expect(await deliverer(store, transport, vault: vault).deliverDue() == 1)
        let request = try #require(transport.requests.first)
        #expect(request.url == "http://127.0.0.1:9/hook")
        let headers = Dictionary(uniqueKeysWithValues: request.headers.map { ($0.name, $0.value) })
        #expect(headers["X-ECS-Event"] == "waiting" && headers["Content-Type"] == "application/json")
        #expect(headers["X-Signature-256"] == "sha256=" + HexEncoding.lowercase(HMACKeySchedule(key: Array("s3cret".utf8)).mac(Array(request.body))))
        #expect(try ProtocolV1.decoder().decode(NotificationMessage.self, from: request.body) == message)
        let delivery = try #require(try await store.deliveries(limit: 1).first)
        #expect(delivery.state == .delivered && delivery.lastStatus == 204 && delivery.attempts == 1 && headers["X-ECS-Delivery"] == String(delivery.id))
    }

    @Test func aSlackNotifierGetsTheTextAloneUnsigned() async throws {
        let (store, _) = try world()
        try await store.putNotifier(NotifierSpec(name: "chat", url: "https://hooks.example.com/x", events: [.waiting], format: .slack), now: Date())
        try await store.enqueueNotification(message, key: "k", now: Date())
        let transport = ScriptedTransport([])
        await deliverer(store, transport, vault: nil).deliverDue()
        let request = try #require(transport.requests.first)
        #expect(try JSONDecoder().decode([String: String].self, from: request.body) == ["text": message.text])
        #expect(!request.headers.contains { $0.name == "X-Signature-256" })
    }

    @Test func failuresAreRetriedWithTheSameDeliveryIdUntilOneIsAnswered() async throws {
        let (store, _) = try world()
        try await store.putNotifier(NotifierSpec(name: "n", url: "http://127.0.0.1:9/n", events: [.waiting]), now: Date())
        try await store.enqueueNotification(message, key: "k", now: Date())
        let transport = ScriptedTransport([.status(503), .refused, .status(200)])
        let d = deliverer(store, transport, vault: nil)
        for _ in 0..<3 { await d.deliverDue(now: Date().addingTimeInterval(1)) }
        #expect(transport.requests.count == 3)
        #expect(Set(transport.requests.map { $0.headers.first { $0.name == "X-ECS-Delivery" }?.value }).count == 1, "one delivery id across retries")
        let delivery = try #require(try await store.deliveries(limit: 1).first)
        #expect(delivery.state == .delivered && delivery.attempts == 3)
        #expect(await d.deliverDue(now: Date().addingTimeInterval(3600)) == 0, "nothing is sent again")
    }

    @Test func aDeliveryIsGivenUpAfterItsLastAttempt() async throws {
        let (store, _) = try world()
        try await store.putNotifier(NotifierSpec(name: "n", url: "http://127.0.0.1:9/n", events: [.waiting]), now: Date())
        try await store.enqueueNotification(message, key: "k", now: Date())
        let transport = ScriptedTransport(Array(repeating: .status(500), count: 10))
        let d = deliverer(store, transport, vault: nil, maxAttempts: 3)
        for _ in 0..<5 { await d.deliverDue(now: Date().addingTimeInterval(1)) }
        #expect(transport.requests.count == 3)
        let delivery = try #require(try await store.deliveries(limit: 1).first)
        #expect(delivery.state == .failed && delivery.attempts == 3 && delivery.lastStatus == 500 && delivery.lastError == "the notifier answered HTTP 500")
    }

    @Test func aMissingSigningSecretIsRetriedNotSentUnsigned() async throws {
        let (store, vault) = try world()
        try await store.putNotifier(NotifierSpec(name: "n", url: "http://127.0.0.1:9/n", events: [.waiting], secretName: "not-yet"), now: Date())
        try await store.enqueueNotification(message, key: "k", now: Date())
        let transport = ScriptedTransport([])
        await deliverer(store, transport, vault: vault).deliverDue()
        #expect(transport.requests.isEmpty, "never sent without its signature")
        let delivery = try #require(try await store.deliveries(limit: 1).first)
        #expect(delivery.state == .pending && delivery.lastError?.contains("secret 'not-yet' does not exist") == true)
        // The operator sets the secret: the next attempt goes out signed.
        _ = try await vault.put("not-yet", value: "now-it-is")
        await deliverer(store, transport, vault: vault).deliverDue(now: Date().addingTimeInterval(1))
        #expect(transport.requests.first?.headers.contains { $0.name == "X-Signature-256" } == true)
    }
}
