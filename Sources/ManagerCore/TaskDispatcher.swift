import DelegateProtocol
import Foundation
import Logging
import ManagerAPI
import StepContracts

/// Queues tasks and hands them out: stored connectors route by their selectors and are resolved, with their secrets, at lease time.
package struct TaskDispatcher: Sendable {
    let repository: any ManagerRepository
    let inline: InlineSecrets
    /// Nil when the manager runs without `--secrets-key-file`.
    let vault: SecretVault?
    /// Told when a task ends before it is handed out (it may be a step of an execution).
    let notifier: any WakeupBus
    let logger: Logger
    /// Told of each task handed out: its type and how long it waited since it was submitted (the lease-wait histogram).
    let leased: @Sendable (_ type: String, _ waited: TimeInterval) -> Void

    /// A dispatcher over these parts; `vault` nil when secrets are disabled.
    package init(
        repository: any ManagerRepository, inline: InlineSecrets, vault: SecretVault?, notifier: any WakeupBus, logger: Logger,
        leased: @escaping @Sendable (_ type: String, _ waited: TimeInterval) -> Void = { _, _ in }
    ) {
        self.leased = leased
        self.repository = repository
        self.inline = inline
        self.vault = vault
        self.notifier = notifier
        self.logger = logger
    }

    /// Checks and queues a submission; returns its report. Every refusal is a 400 naming the member.
    ///
    /// With `auditedAs`, the `task.submit` audit entry (that actor) is written in the task's own transaction.
    ///
    /// With `idempotentId`, the task is queued under that id, and a task
    /// already stored under it (an earlier submission whose caller died before
    /// recording it) is returned instead of a second one being queued.
    package func submit(_ submission: TaskSubmission, auditedAs actor: String? = nil, idempotentId: String? = nil) async throws -> TaskReport {
        if let idempotentId, let existing = try await repository.task(idempotentId) { return existing }
        var s = submission.request
        try RequestRules.check(s, knownTypes: try await repository.knownTaskTypes())
        if submission.connectorName != nil, s.connector != nil {
            throw APIError(.badRequest, "invalid", "give either member 'connector' (an inline connector) or member 'connectorName' (a stored one), not both")
        }
        let (connector, artifactConnector) = try await storedConnectors(submission.connectorName, artifact: submission.artifactConnectorName, inline: s.connector)
        for c in [connector, artifactConnector].compactMap({ $0 }) {
            s.selectors = merged(s.selectors, c.delegateSelectors)
            try RequestRules.labels(s.selectors, member: "selectors (with connector \(c.name)'s delegateSelectors)")
        }
        // Inline secrets are in memory before the task is visible to a long poll, which would otherwise find them missing.
        let id = idempotentId ?? TaskIdentifier.make()
        inline.keep(s, id: id)
        do {
            let now = Date()
            let audit = actor.map { AuditEntry(time: now, actor: $0, action: AuditAction.taskSubmit, target: id, detail: "type=\(s.type)") }
            try await repository.submit(s, id: id, connector: connector, artifactConnector: artifactConnector, audit: audit, now: now)
        } catch {
            inline.forget(id)
            throw error
        }
        guard let report = try await repository.task(id) else { throw APIError(.internalServerError, "internal", "task vanished") }
        logger.info("task queued", metadata: ["task": "\(id)", "type": "\(s.type)", "selectors": "\(s.selectors)", "connector": "\(connector?.name ?? "-")", "artifactConnector": "\(artifactConnector?.name ?? "-")"])
        return report
    }

    /// The stored connectors a submission or a pipeline names, checked: each known with its secrets stored,
    /// the artifact's a `dockerRegistry` connector the task does not already carry. Refusals are 400s naming the member.
    package func storedConnectors(_ name: String?, artifact: String?, inline: JSONValue? = nil) async throws -> (connector: Connector?, artifact: Connector?) {
        var connector: Connector?
        if let name { connector = try await storedConnector(name, member: "connectorName") }
        guard let artifact else { return (connector, nil) }
        let c = try await storedConnector(artifact, member: "artifactConnectorName")
        guard c.type == .dockerRegistry else {
            throw APIError(.badRequest, "invalid", "member 'artifactConnectorName': connector '\(artifact)' is of type \(c.type.rawValue); an artifact comes from a dockerRegistry connector")
        }
        if inline?["dockerRegistry"] != nil || connector?.type == .dockerRegistry {
            throw APIError(.badRequest, "invalid", "member 'artifactConnectorName': the task already has a dockerRegistry connector")
        }
        return (connector, c)
    }

    /// The stored connector a submission names, refused (400) when it is unknown or its secrets cannot be read.
    private func storedConnector(_ name: String, member: String) async throws -> Connector {
        if let why = ResourceName.problem(name) { throw APIError(.badRequest, "invalid", "member '\(member)': \(why)") }
        guard let record = try await repository.connector(name) else {
            let known = try await repository.connectors().map(\.connector.name)
            throw APIError(.badRequest, "invalid", "member '\(member)': no connector '\(name)' (known: \(known.isEmpty ? "none; add one with ecs-manager connector apply FILE" : known.joined(separator: ", ")))")
        }
        let connector = record.connector
        if !connector.secretNames.isEmpty {
            guard vault != nil else {
                throw APIError(.badRequest, "invalid", "connector '\(name)' uses secrets, and this manager was started without --secrets-key-file")
            }
            let stored = Set(try await repository.secrets().map(\.name))
            let missing = connector.secretNames.filter { !stored.contains($0) }
            if !missing.isEmpty {
                throw APIError(.badRequest, "invalid", "connector '\(name)' uses secrets that do not exist: \(missing.joined(separator: ", ")) (ecs-manager secret set NAME)")
            }
        }
        if let ecr = connector.ecrConnector {
            // The type is checked before the referenced connector's own checks: an aws connector names no
            // ecrConnector, so this never recurses (two registries naming each other would otherwise loop forever).
            if let referenced = try await repository.connector(ecr)?.connector, referenced.type != .aws {
                throw APIError(.badRequest, "invalid", "connector '\(name)': ecrConnector '\(ecr)' is of type \(referenced.type.rawValue); ECR signs in with an aws connector")
            }
            _ = try await storedConnector(ecr, member: "\(member) (its ecrConnector)")
        }
        return connector
    }

    /// `a` followed by the members of `b` it lacks (case-insensitive, as selectors match).
    private func merged(_ a: [String], _ b: [String]) -> [String] {
        var seen = Set(a.map { $0.lowercased() })
        return a + b.filter { seen.insert($0.lowercased()).inserted }
    }

    /// Leases the next task for `delegate` with its secrets filled in; a task whose secrets cannot be had fails instead.
    package func lease(for delegate: DelegateRow, leaseSeconds: TimeInterval) async throws -> TaskEnvelope? {
        while true {
            guard let leased = try await repository.lease(for: delegate, leaseSeconds: leaseSeconds, now: Date()) else { return nil }
            do {
                let envelope = try await fill(leased)
                if let queuedAt = leased.queuedAt { self.leased(envelope.type, max(0, Date().timeIntervalSince(queuedAt))) }
                return envelope
            } catch let e as TaskError {
                let env = leased.envelope
                _ = try await repository.finish(taskId: env.taskId, leaseId: env.leaseId, result: TaskResult(leaseId: env.leaseId, status: .failed, error: e), now: Date())
                inline.forget(env.taskId)
                notifier.notify(key: ExecutionOrchestrator.wakeKey)
                logger.warning("task failed before it was handed out", metadata: ["task": "\(env.taskId)", "code": "\(e.code)", "reason": "\(e.message)"])
            }
        }
    }

    /// The envelope with its inline secrets and its stored connector's resolution; a `TaskError` when either cannot be had.
    private func fill(_ leased: LeasedTask) async throws -> TaskEnvelope {
        var envelope = leased.envelope
        if leased.hasInlineSecrets {
            guard let entry = inline.entry(envelope.taskId) else {
                throw TaskError(code: "secrets.lost", message: "the manager restarted while the task was queued and does not keep inline secrets on disk; submit it again (a stored connector survives restarts)")
            }
            envelope.secrets = entry.secrets
            envelope.connector = entry.connector
        }
        for connector in [leased.connector, leased.artifactConnector].compactMap({ $0 }) {
            let resolution: ConnectorResolution
            do {
                let ecr = try await ecrConnector(of: connector)
                // The secrets are read first (asynchronously), then the resolution is built from them.
                var values: [String: String] = [:]
                for name in connector.secretNames + (ecr?.secretNames ?? []) where values[name] == nil {
                    guard let vault else {
                        throw TaskError(code: "secrets.unavailable", message: "connector \(connector.name) uses secrets, and the manager runs without --secrets-key-file")
                    }
                    values[name] = try await vault.value(name)
                }
                resolution = try connector.resolved(ecr: ecr) { name in
                    guard let value = values[name] else {
                        throw TaskError(code: "secrets.unavailable", message: "connector \(connector.name) uses secret '\(name)', which was not read")
                    }
                    return value
                }
            } catch let e as SecretVault.Unavailable {
                throw TaskError(code: e.code, message: "connector \(connector.name): \(e.message)")
            }
            // Each connector is one member of the envelope's connector object: {"aws": ..., "dockerRegistry": ...}.
            envelope.connector = try resolution.connector.merged(into: envelope.connector)
            envelope.secrets.merge(resolution.secrets) { current, _ in current }
        }
        return envelope
    }

    /// The AWS connector an ECR registry signs in with, as stored now; a `TaskError` when it is gone or not an AWS one.
    private func ecrConnector(of connector: Connector) async throws -> Connector? {
        guard let name = connector.ecrConnector else { return nil }
        guard let aws = try await repository.connector(name)?.connector, aws.type == .aws else {
            throw TaskError(code: "connector.missing", message: "connector \(connector.name) signs in to ECR with AWS connector '\(name)', which is not stored (or is not an aws connector)")
        }
        return aws
    }

    /// Forgets a finished task's inline secrets.
    package func finished(_ taskId: String) { inline.forget(taskId) }
}
