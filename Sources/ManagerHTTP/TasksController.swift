import DelegateProtocol
import Foundation
import Hummingbird
import ManagerAPI
import ManagerCore

/// Tasks: submit, list, report, cancel, and the delegate's result.
struct TasksController: Sendable {
    let context: ManagerContext

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.post("tasks", use: submit)
        v1.get("tasks", use: list)
        v1.get("tasks/:id", use: get)
        v1.post("tasks/:id/cancel", use: cancel)
        v1.post("tasks/:id/result", use: result)
    }

    /// `POST /v1/tasks`: 201 with the task's report.
    func submit(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let submission: TaskSubmission = try await decode(req, ctx, limit: context.settings.maxBodyBytes)
        // The audit entry is committed with the task: one commit, then parked polls may lease it.
        let report = try await context.dispatcher.submit(submission, auditedAs: ManagerContext.actor(ctx))
        context.wakePollers()
        return try json(report, status: .created)
    }

    /// `GET /v1/tasks?limit=N`: newest first, queued ones saying why they wait.
    func list(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let limit = try req.queryNumber("limit", in: 1...1000, fallback: 100)
        let delegates = try await context.delegates.delegates(now: Date(), staleAfter: context.settings.staleAfter)
        return try await json(try context.tasks.tasks(limit: limit).map { WaitingReason.explain($0, delegates: delegates) })
    }

    /// `GET /v1/tasks/{id}`.
    func get(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        guard let report = try await context.tasks.task(id) else { throw APIError(.notFound, "not_found", "no task \(id)") }
        return try await json(WaitingReason.explain(report, delegates: try context.delegates.delegates(now: Date(), staleAfter: context.settings.staleAfter)))
    }

    /// `POST /v1/tasks/{id}/cancel`.
    func cancel(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        switch try await context.tasks.requestCancel(taskId: id, now: Date()) {
        case .notFound:
            throw APIError(.notFound, "not_found", "no task \(id)")
        case .alreadyFinished(let state):
            throw APIError(.conflict, "already_finished", "task \(id) already finished: \(state.rawValue)")
        case .cancelled:
            await context.audit(ctx, AuditAction.taskCancel, id)
            context.dispatcher.finished(id)
            context.notifier.notify(key: Notifier.taskKey(id))
            context.notifier.notify(key: ExecutionOrchestrator.wakeKey)
            return try json(StatusAnswer(status: "cancelled"))
        case .requested:
            await context.audit(ctx, AuditAction.taskCancel, id)
            context.notifier.notify(key: Notifier.taskKey(id))
            return try json(StatusAnswer(status: "cancel requested"))
        }
    }

    /// `POST /v1/tasks/{id}/result`: recorded once per lease, repeat-safe.
    func result(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        let result: TaskResult = try await decode(req, ctx, limit: context.settings.maxBodyBytes)
        let changed = try await leaseChecked { try await context.tasks.finish(taskId: id, leaseId: result.leaseId, result: result, now: Date()) }
        if changed {
            context.dispatcher.finished(id)
            context.logger.info("task finished", metadata: ["task": "\(id)", "status": "\(result.status.rawValue)"])
            context.notifier.notify(key: ExecutionOrchestrator.wakeKey)
        }
        context.notifier.notify(key: Notifier.taskKey(id))
        return try json(StatusAnswer(status: "recorded"))
    }
}

/// Runs a lease-checked repository call, turning its refusals into 404 and 409 answers.
func leaseChecked<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch LeaseError.unknownTask {
        throw APIError(.notFound, "not_found", "no such task")
    } catch LeaseError.wrongLease {
        throw APIError(.conflict, "lease_mismatch", "the lease is not the task's current lease (it expired or the task was given to another delegate)")
    }
}
