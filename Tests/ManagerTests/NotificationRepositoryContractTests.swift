import Foundation
import ManagerAPI
import ManagerCore
import Testing

/// The contract of `NotificationRepository` (notifiers and the durable outbox), run against every repository implementation.
@Suite struct NotificationRepositoryContractTests {
    /// A fresh repository from `factory`, as the notifications seam.
    func notifications(_ factory: RepositoryFactory) async throws -> any NotificationRepository {
        let store = try await factory.make()
        return try #require(store as? any NotificationRepository, "\(factory.name) must implement NotificationRepository")
    }

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A message about execution `id`.
    func message(_ event: NotificationEvent, _ id: String = "exec-1") -> NotificationMessage {
        NotificationMessage(event: event, executionId: id, pipeline: "web", phase: "deploying", time: t0, text: "\(event.rawValue) \(id)")
    }

    @Test(arguments: repositoryFactories) func notifiersAreCreatedReplacedListedAndDeleted(_ factory: RepositoryFactory) async throws {
        let repo = try await notifications(factory)
        var ops = NotifierSpec(name: "ops", url: "https://hooks.example.com/ops", events: [.waiting, .failed], format: .slack, secretName: "ops-hmac")
        await #expect(try repo.putNotifier(ops, now: t0))
        await #expect(try repo.putNotifier(NotifierSpec(name: "audit", url: "http://127.0.0.1:9/x", events: NotificationEvent.allCases), now: t0))
        ops.events = [.rolledBack]
        await #expect(try repo.putNotifier(ops, now: t0) == false, "a second put replaces")
        await #expect(try repo.notifier("ops") == ops)
        await #expect(try repo.notifiers().map(\.name) == ["audit", "ops"])
        await #expect(try repo.deleteNotifier("ops", now: t0))
        await #expect(try repo.deleteNotifier("ops", now: t0) == false)
        await #expect(try repo.notifier("ops") == nil)
    }

    @Test(arguments: repositoryFactories) func aMessageIsQueuedOncePerSubscribedNotifierAndKey(_ factory: RepositoryFactory) async throws {
        let repo = try await notifications(factory)
        try await repo.putNotifier(NotifierSpec(name: "all", url: "http://127.0.0.1:9/a", events: NotificationEvent.allCases), now: t0)
        try await repo.putNotifier(NotifierSpec(name: "failures", url: "http://127.0.0.1:9/f", events: [.failed, .rolledBack]), now: t0)
        // "rolledBack" must not match a notifier of "failed" alone by a prefix or substring: the events column is matched whole.
        try await repo.putNotifier(NotifierSpec(name: "started-only", url: "http://127.0.0.1:9/s", events: [.started]), now: t0)
        try await repo.enqueueNotification(message(.started), key: "exec-1:started", now: t0)
        try await repo.enqueueNotification(message(.rolledBack), key: "exec-1:end:rolledBack", now: t0)
        // A repeat (a manager that died before saving the execution drives it again) is dropped.
        try await repo.enqueueNotification(message(.rolledBack), key: "exec-1:end:rolledBack", now: t0.addingTimeInterval(5))
        let queued = try await repo.deliveries(limit: 100)
        #expect(queued.count == 4)
        #expect(Set(queued.map { "\($0.notifier)/\($0.event.rawValue)" }) == ["all/started", "started-only/started", "all/rolledBack", "failures/rolledBack"])
        #expect(queued.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.nextAttemptAt == t0 })
        #expect(queued.map(\.id) == queued.map(\.id).sorted(by: >), "newest first")
    }

    @Test(arguments: repositoryFactories) func aClaimIsALeaseThatExpiresAndCountsAttempts(_ factory: RepositoryFactory) async throws {
        let repo = try await notifications(factory)
        try await repo.putNotifier(NotifierSpec(name: "n", url: "http://127.0.0.1:9/n", events: [.succeeded]), now: t0)
        try await repo.enqueueNotification(message(.succeeded), key: "k", now: t0)
        let first = try await repo.claimDeliveries(now: t0, lease: 60, limit: 10)
        #expect(first.count == 1 && first.first?.attempt == 1 && first.first?.message == message(.succeeded) && first.first?.notifier == "n")
        await #expect(try repo.claimDeliveries(now: t0.addingTimeInterval(59), lease: 60, limit: 10).isEmpty, "claimed until the lease ends")
        // The claimer died: after the lease the delivery is due again, as attempt 2.
        let again = try await repo.claimDeliveries(now: t0.addingTimeInterval(61), lease: 60, limit: 10)
        #expect(again.map(\.attempt) == [2])
        await #expect(try repo.deliveries(limit: 10).first?.attempts == 2)
        await #expect(try repo.claimDeliveries(now: t0, lease: 60, limit: 0).isEmpty)
    }

    @Test(arguments: repositoryFactories) func failuresAreRetriedThenGivenUpAndSuccessIsFinal(_ factory: RepositoryFactory) async throws {
        let repo = try await notifications(factory)
        try await repo.putNotifier(NotifierSpec(name: "n", url: "http://127.0.0.1:9/n", events: [.failed]), now: t0)
        try await repo.enqueueNotification(message(.failed, "a"), key: "a", now: t0)
        try await repo.enqueueNotification(message(.failed, "b"), key: "b", now: t0)
        let claimed = try await repo.claimDeliveries(now: t0, lease: 60, limit: 10)
        #expect(claimed.map(\.message.executionId) == ["a", "b"], "oldest first")
        let (a, b) = (claimed[0].id, claimed[1].id)
        try await repo.deliveryFailed(id: a, status: 500, error: "the notifier answered HTTP 500", retryAt: t0.addingTimeInterval(4), now: t0)
        try await repo.deliverySucceeded(id: b, status: 204, now: t0.addingTimeInterval(1))
        var listed = Dictionary(uniqueKeysWithValues: try await repo.deliveries(limit: 10).map { ($0.id, $0) })
        #expect(listed[a]?.state == .pending && listed[a]?.lastStatus == 500 && listed[a]?.lastError == "the notifier answered HTTP 500")
        #expect(listed[a]?.nextAttemptAt == t0.addingTimeInterval(4))
        #expect(listed[b]?.state == .delivered && listed[b]?.lastStatus == 204 && listed[b]?.deliveredAt == t0.addingTimeInterval(1) && listed[b]?.nextAttemptAt == nil)
        await #expect(try repo.claimDeliveries(now: t0.addingTimeInterval(3), lease: 60, limit: 10).isEmpty, "not before its retry time")
        let retry = try await repo.claimDeliveries(now: t0.addingTimeInterval(4), lease: 60, limit: 10)
        #expect(retry.map(\.id) == [a] && retry.first?.attempt == 2)
        try await repo.deliveryFailed(id: a, status: nil, error: "connection refused", retryAt: nil, now: t0.addingTimeInterval(5))
        listed = Dictionary(uniqueKeysWithValues: try await repo.deliveries(limit: 10).map { ($0.id, $0) })
        #expect(listed[a]?.state == .failed && listed[a]?.lastStatus == nil && listed[a]?.lastError == "connection refused")
        // A late answer to an attempt given up changes nothing.
        try await repo.deliverySucceeded(id: a, status: 200, now: t0.addingTimeInterval(6))
        await #expect(try repo.deliveries(limit: 10).first { $0.id == a }?.state == .failed)
        await #expect(try repo.claimDeliveries(now: t0.addingTimeInterval(1000), lease: 60, limit: 10).isEmpty)
        // Pruning removes finished deliveries made before the date, never pending ones.
        try await repo.enqueueNotification(message(.failed, "c"), key: "c", now: t0)
        await #expect(try repo.pruneDeliveries(before: t0.addingTimeInterval(1)) == 2)
        await #expect(try repo.deliveries(limit: 10).map(\.executionId) == ["c"])
    }

    @Test(arguments: repositoryFactories) func deletingANotifierGivesUpItsPendingDeliveries(_ factory: RepositoryFactory) async throws {
        let repo = try await notifications(factory)
        try await repo.putNotifier(NotifierSpec(name: "gone", url: "http://127.0.0.1:9/g", events: [.started]), now: t0)
        try await repo.enqueueNotification(message(.started), key: "k", now: t0)
        try await repo.deleteNotifier("gone", now: t0)
        let delivery = try #require(try await repo.deliveries(limit: 10).first)
        #expect(delivery.state == .failed && delivery.lastError == "the notifier was deleted")
        await #expect(try repo.claimDeliveries(now: t0.addingTimeInterval(1), lease: 60, limit: 10).isEmpty)
    }

    @Test(arguments: repositoryFactories) func concurrentClaimsNeverShareADelivery(_ factory: RepositoryFactory) async throws {
        let repo = try await notifications(factory)
        try await repo.putNotifier(NotifierSpec(name: "n", url: "http://127.0.0.1:9/n", events: [.started]), now: t0)
        for i in 0..<40 { try await repo.enqueueNotification(message(.started, "e\(i)"), key: "k\(i)", now: t0) }
        let t0 = self.t0
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<4 { group.addTask { try await repo.claimDeliveries(now: t0, lease: 60, limit: 7).map(\.id) } }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        #expect(claims.count == 28 && Set(claims).count == 28)
    }
}
