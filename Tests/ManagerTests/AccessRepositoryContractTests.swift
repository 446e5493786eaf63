import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerCore
import Testing

/// The contract of `AccessRepository` (tokens, delegates' tokens, audit trail), run against every repository implementation.
@Suite struct AccessRepositoryContractTests {
    /// A fresh repository from `factory`, as both seams.
    func stores(_ factory: RepositoryFactory) async throws -> (any ManagerRepository, any AccessRepository) {
        let store = try await factory.make()
        return (store, try #require(store as? any AccessRepository, "\(factory.name) must implement AccessRepository"))
    }

    /// A token entry created at `t`.
    func info(_ name: String, _ kind: TokenKind = .api, scope: TokenScope? = .read, tags: [String]? = nil, at t: Double = 1000) -> TokenInfo {
        TokenInfo(name: name, kind: kind, scope: scope, allowedTags: tags, createdAt: Date(timeIntervalSince1970: t))
    }

    @Test(arguments: repositoryFactories) func tokensAreFoundByHashAndNameAndNamesAreNotReused(_ factory: RepositoryFactory) async throws {
        let (_, access) = try await stores(factory)
        await #expect(try access.createToken(info("ci", scope: .run), hash: "h-ci"))
        await #expect(try access.createToken(info("dev", .delegate, scope: nil, tags: ["dev", "eu"]), hash: "h-dev"))
        await #expect(try access.createToken(info("ci", scope: .admin), hash: "h-other") == false)
        await #expect(try access.token(hash: "h-ci") == info("ci", scope: .run))
        await #expect(try access.token(hash: "h-other") == nil)
        await #expect(try access.token(named: "dev")?.allowedTags == ["dev", "eu"])
        await #expect(try access.token(named: "dev")?.scope == nil)
        await #expect(try access.tokens().map(\.name) == ["ci", "dev"])
        // A revoked token's name stays taken.
        _ = try await access.revokeToken("ci", now: Date(timeIntervalSince1970: 2000))
        await #expect(try access.createToken(info("ci"), hash: "h-new") == false)
    }

    @Test(arguments: repositoryFactories) func lastUseIsRecorded(_ factory: RepositoryFactory) async throws {
        let (_, access) = try await stores(factory)
        _ = try await access.createToken(info("ci"), hash: "h")
        await #expect(try access.token(named: "ci")?.lastUsedAt == nil)
        try await access.touchToken("ci", now: Date(timeIntervalSince1970: 1500))
        await #expect(try access.token(named: "ci")?.lastUsedAt == Date(timeIntervalSince1970: 1500))
    }

    @Test(arguments: repositoryFactories) func revokingRequeuesUnstartedAndFailsStartedTasksOfItsDelegatesOnly(_ factory: RepositoryFactory) async throws {
        let (store, access) = try await stores(factory)
        _ = try await access.createToken(info("dev", .delegate, scope: nil), hash: "h-dev")
        let mine = try await delegate(store, [])
        let other = try await delegate(store, [])
        try await access.bindDelegate(mine.id, tokenName: "dev")
        try await access.bindDelegate(other.id, tokenName: "bootstrap")
        let started = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let unstarted = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let others = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let first = try await #require(try store.lease(for: mine, leaseSeconds: 30))
        _ = try await #require(try store.lease(for: mine, leaseSeconds: 30))
        _ = try await #require(try store.lease(for: other, leaseSeconds: 30))
        _ = try await store.renew(delegateId: mine.id, running: [RunningTask(taskId: started, leaseId: first.leaseId)], leaseSeconds: 30)
        #expect(first.taskId == started)

        let r = try await #require(try access.revokeToken("dev", now: Date(timeIntervalSince1970: 3000)))
        #expect(!r.alreadyRevoked && r.token.revokedAt == Date(timeIntervalSince1970: 3000))
        #expect(r.delegates == [mine.id] && r.failed == [started] && r.requeued == [unstarted])
        let failed = try await #require(try store.task(started))
        #expect(failed.state == "failed" && failed.error?.code == "token.revoked" && failed.error?.message.contains("'dev'") == true)
        await #expect(try store.task(unstarted)?.state == "queued")
        await #expect(try store.task(others)?.state == "leased")
        await #expect(try store.delegate(mine.id)?.state == .unregistered)
        await #expect(try store.delegate(other.id)?.state == .connected)
        await #expect(try access.token(hash: "h-dev")?.revokedAt == Date(timeIntervalSince1970: 3000))

        let again = try await #require(try access.revokeToken("dev", now: Date(timeIntervalSince1970: 4000)))
        #expect(again.alreadyRevoked && again.token.revokedAt == Date(timeIntervalSince1970: 3000) && again.failed.isEmpty)
        await #expect(try access.revokeToken("nobody", now: Date()) == nil)
    }

    @Test(arguments: repositoryFactories) func delegatesRememberTheTokenTheyRegisteredWith(_ factory: RepositoryFactory) async throws {
        let (store, access) = try await stores(factory)
        let d = try await delegate(store, ["a"], instance: "i-7")
        await #expect(try access.delegateTokenName(d.id) == nil)
        await #expect(try access.delegateTokenName(instanceId: "i-7") == nil)
        try await access.bindDelegate(d.id, tokenName: "dev")
        await #expect(try access.delegateTokenName(d.id) == "dev")
        await #expect(try access.delegateTokenName(instanceId: "i-7") == "dev")
        try await access.bindDelegate(d.id, tokenName: "bootstrap")
        await #expect(try access.delegateTokenName(d.id) == "bootstrap")
        await #expect(try access.delegateTokenName("dlg-unknown") == nil)
        await #expect(try access.delegateTokenName(instanceId: "i-unknown") == nil)
    }

    @Test(arguments: repositoryFactories) func theAuditTrailKeepsOrderAndFiltersByTime(_ factory: RepositoryFactory) async throws {
        let (_, access) = try await stores(factory)
        for (i, action) in ["task.submit", "secret.set", "token.revoke"].enumerated() {
            try await access.recordAudit(AuditEntry(time: Date(timeIntervalSince1970: 100 + Double(i)), actor: "ci-\(i)", action: action, target: "t\(i)", detail: i == 0 ? "type=x" : nil))
        }
        let all = try await access.audit(since: nil, limit: 100)
        #expect(all.map(\.action) == ["task.submit", "secret.set", "token.revoke"])
        #expect(all.first?.actor == "ci-0" && all.first?.detail == "type=x" && all.first?.time == Date(timeIntervalSince1970: 100))
        #expect(all.compactMap(\.id) == all.compactMap(\.id).sorted() && all.compactMap(\.id).count == 3)
        await #expect(try access.audit(since: Date(timeIntervalSince1970: 101), limit: 100).map(\.target) == ["t1", "t2"])
        // The limit keeps the latest entries, still oldest first.
        await #expect(try access.audit(since: nil, limit: 2).map(\.target) == ["t1", "t2"])
    }

    @Test(arguments: repositoryFactories) func aSubmitCarriesItsAuditEntryInItsOwnTransaction(_ factory: RepositoryFactory) async throws {
        let (store, access) = try await stores(factory)
        let entry = AuditEntry(time: Date(timeIntervalSince1970: 500), actor: "ci", action: "task.submit", target: "task-audited", detail: "type=delegate.echo")
        try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]), id: "task-audited", connector: nil, artifactConnector: nil,
                         audit: entry, now: Date(timeIntervalSince1970: 500))
        await #expect(try store.task("task-audited") != nil)
        await #expect(try access.audit(since: nil, limit: 10).map(\.target) == ["task-audited"])
        // A submit that fails (the id is taken) records nothing.
        await #expect(throws: (any Error).self) {
            try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]), id: "task-audited", connector: nil, artifactConnector: nil,
                             audit: AuditEntry(time: Date(timeIntervalSince1970: 501), actor: "ci", action: "task.submit", target: "task-audited"), now: Date(timeIntervalSince1970: 501))
        }
        await #expect(try access.audit(since: nil, limit: 10).count == 1)
    }

    @Test(arguments: repositoryFactories) func aRegistrationBindsItsTokenAndAuditsInOneCommit(_ factory: RepositoryFactory) async throws {
        let (store, access) = try await stores(factory)
        let now = Date(timeIntervalSince1970: 700)
        let r = RegisterRequest(name: "d", hostname: "h", version: "1", tags: ["ecs"], capacity: 1, taskTypes: ["x.y"], instanceId: "i-bound")
        let registration = try await store.register(r, now: now, boundTo: "ci-token", audit: RegistrationAudit(actor: "ci-token", detail: "name=d tags=ecs"))
        await #expect(try access.delegateTokenName(registration.delegateId) == "ci-token")
        let entries = try await access.audit(since: nil, limit: 10)
        #expect(entries.map(\.target) == [registration.delegateId] && entries.first?.action == AuditAction.delegateRegister && entries.first?.actor == "ci-token")
    }
}
