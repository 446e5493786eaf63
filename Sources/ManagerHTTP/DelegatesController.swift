import DelegateProtocol
import Foundation
import Hummingbird
import ManagerAPI
import ManagerCore

/// The delegate calls (register, heartbeat, long poll, unregister) and the delegate list.
struct DelegatesController: Sendable {
    let context: ManagerContext

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.post("delegates/register", use: register)
        v1.post("delegates/:id/heartbeat", use: heartbeat)
        v1.get("delegates/:id/tasks/next", use: next)
        v1.post("delegates/:id/unregister", use: unregister)
        v1.get("delegates") { _, _ in try await json(try context.delegates.delegates(now: Date(), staleAfter: context.settings.staleAfter)) }
    }

    /// `POST /v1/delegates/register`.
    func register(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let settings = context.settings
        let r: RegisterRequest = try await decode(req, ctx, limit: settings.maxBodyBytes)
        try RequestRules.check(r)
        try await checkRegistration(r, by: ctx.principal)
        // One commit: the delegate, its binding to the token it registered with, and the audit entry.
        let registration = try await context.delegates.register(
            r, now: Date(), boundTo: ctx.principal?.name ?? Principal.bootstrapName,
            audit: RegistrationAudit(actor: ManagerContext.actor(ctx), detail: "name=\(r.name) tags=\(r.tags.joined(separator: ","))"))
        let id = registration.delegateId
        // Polls parked by an earlier process of this instance see the new generation and end.
        context.notifier.notify(key: Notifier.delegateKey(id))
        if !registration.requeued.isEmpty {
            context.logger.info("tasks requeued: their delegate restarted before starting them", metadata: ["delegate": "\(id)", "tasks": "\(registration.requeued)"])
            context.wakePollers()
        }
        context.logger.info("delegate registered", metadata: ["delegate": "\(id)", "name": "\(r.name)", "tags": "\(r.tags)"])
        return try json(RegisterResponse(
            delegateId: id, heartbeatSeconds: settings.heartbeatSeconds, pollWaitSeconds: settings.pollWaitSeconds,
            logFlushMillis: settings.logFlushMillis, logBatchMaxLines: settings.logBatchMaxLines, logBatchMaxBytes: settings.logBatchMaxBytes))
    }

    /// `POST /v1/delegates/{id}/heartbeat`.
    func heartbeat(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        let hb: HeartbeatRequest = try await decode(req, ctx, limit: context.settings.maxBodyBytes)
        try RequestRules.check(hb)
        _ = try await knownDelegate(id)
        let (renewed, cancel) = try await context.delegates.heartbeat(delegateId: id, hb, leaseSeconds: context.settings.leaseSeconds, now: Date())
        return try json(HeartbeatResponse(renewed: renewed, cancel: cancel, drain: false))
    }

    /// `GET /v1/delegates/{id}/tasks/next?wait=S`: a leased task, or 204 after S seconds, at once on a newer registration or shutdown.
    func next(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        let wait = Duration.seconds(clamping: try req.queryNumber("wait", in: 0...120, fallback: context.settings.pollWaitSeconds), to: 0...120)
        var generation: Int64?
        let answer: Response? = try await context.notifier.poll(key: Notifier.delegateKey(id), until: .now + wait) { last in
            let delegate = try await knownDelegate(id)
            // A token revoked while this poll was parked: the delegate hears 401 now, not a task.
            try await context.authorizer.recheck(ctx.principal)
            // A newer registration of the same instance, or shutdown: this poll's process is gone or going.
            if context.notifier.isShutDown || (generation.map { $0 != delegate.generation } ?? false) { return Response(status: .noContent) }
            // Seen once per poll, when it arrives (heartbeats keep a parked one fresh): a wake-up goes straight to the lease,
            // one SQLite commit sooner.
            if generation == nil { try await context.delegates.touch(delegateId: id, heartbeat: nil, now: Date()) }
            generation = delegate.generation
            if delegate.state != .draining, let envelope = try await context.dispatcher.lease(for: delegate, leaseSeconds: context.settings.leaseSeconds) {
                context.logger.debug("task leased", metadata: ["task": "\(envelope.taskId)", "delegate": "\(id)"])
                return try json(envelope)
            }
            return nil
        }
        return answer ?? Response(status: .noContent)
    }

    /// `POST /v1/delegates/{id}/unregister`.
    func unregister(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        let body: UnregisterRequest = try await decode(req, ctx, limit: context.settings.maxBodyBytes)
        try RequestRules.check(body)
        _ = try await knownDelegate(id)
        try await context.delegates.unregister(delegateId: id)
        await context.audit(ctx, AuditAction.delegateUnregister, id, body.reason)
        context.logger.info("delegate unregistered", metadata: ["delegate": "\(id)", "reason": "\(body.reason)"])
        return try json(StatusAnswer(status: "unregistered"))
    }

    /// Refuses (403) a delegate token registering with a tag outside its allowed tags, or an instance another token registered.
    private func checkRegistration(_ r: RegisterRequest, by principal: Principal?) async throws {
        guard let principal, case .delegate(let allowed) = principal.role else { return }
        if let allowed {
            let outside = r.tags.filter { !allowed.contains($0) }
            if !outside.isEmpty {
                throw APIError(
                    .forbidden, "tag_not_allowed",
                    "delegate token '\(principal.name)' may register only with tags [\(allowed.joined(separator: ", "))]; not allowed: [\(outside.joined(separator: ", "))]")
            }
        }
        // Moving a delegate from the bootstrap key to its own token is allowed; taking over another delegate token's is not.
        if let owner = try await context.access.delegateTokenName(instanceId: r.instanceId), owner != principal.name, owner != Principal.bootstrapName {
            throw APIError(
                .forbidden, "forbidden",
                "this delegate instance registered with another delegate token; a delegate token may not take over another token's delegate (use a new state_dir)")
        }
    }

    /// The delegate `id`, or a 404 telling it to register again.
    private func knownDelegate(_ id: String) async throws -> DelegateRow {
        guard let d = try await context.delegates.delegate(id) else {
            throw APIError(.notFound, "unknown_delegate", "no delegate \(id); register again")
        }
        return d
    }
}
