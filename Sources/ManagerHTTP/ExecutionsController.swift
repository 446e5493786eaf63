import DelegateProtocol
import Foundation
import Hummingbird
import ManagerAPI
import ManagerCore
import Pipelines
import StepContracts

/// Executions: start a pipeline, list, report, cancel, roll back.
struct ExecutionsController: Sendable {
    let context: ManagerContext
    let executions: any ExecutionRepository
    let gate: ExecutionGate
    /// Counts executions started.
    let metrics: ManagerMetrics
    /// Told when a cancel ends an execution at once (nothing ran, nothing to roll back), as the orchestrator tells them of other ends.
    let observers: [any ExecutionObserver]

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.post("executions", use: start)
        v1.get("executions", use: list)
        v1.get("executions/:id", use: get)
        v1.post("executions/:id/cancel", use: cancel)
        v1.post("executions/:id/rollback", use: rollback)
        v1.post("executions/:id/approve", use: approve)
        v1.post("executions/:id/reject", use: reject)
    }

    /// `POST /v1/executions`: 201 with the new execution's report.
    func start(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let body: StartExecutionRequest = try await decode(req, ctx, limit: context.settings.maxBodyBytes)
        let plan = body.plan
        if let why = plan.problem { throw APIError(.badRequest, "invalid", why) }
        _ = try await context.dispatcher.storedConnectors(plan.connector, artifact: plan.artifactConnector)
        let known = try await context.delegates.knownTaskTypes()
        for step in plan.steps {
            for type in [step.type] + (step.rollback.map { [$0.type] } ?? []) where !known.contains(type.rawValue) && !TaskType.gates.contains(type) {
                throw APIError(.badRequest, "invalid", "step \(step.name) needs task type \(type), which no delegate has ever registered: start a delegate that runs it (an ecs-delegate of this version), then run the pipeline again")
            }
        }
        guard TaskEnvelope.timeoutRange.contains(plan.timeoutSeconds) else {
            throw APIError(.badRequest, "invalid", "member 'plan.timeoutSeconds' must be from \(TaskEnvelope.timeoutRange.lowerBound) to \(TaskEnvelope.timeoutRange.upperBound)")
        }
        let id = "exec-" + UUID().uuidString.lowercased()
        let now = Date()
        try await executions.createExecution(id: id, engine: ExecutionEngine(plan: plan), now: now)
        metrics.executionStarted(plan)
        context.logger.info("execution started", metadata: ["execution": "\(id)", "pipeline": "\(plan.pipeline)"])
        await context.audit(ctx, AuditAction.executionRun, id, "pipeline=\(plan.pipeline)")
        context.notifier.notify(key: ExecutionOrchestrator.wakeKey)
        guard let stored = try await executions.execution(id) else { throw APIError(.internalServerError, "internal", "execution vanished") }
        return try json(stored.report, status: .created)
    }

    /// `GET /v1/executions?limit=N`: newest first.
    func list(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let limit = try req.queryNumber("limit", in: 1...1000, fallback: 100)
        return try await json(try executions.executions(limit: limit).map(\.report))
    }

    /// `GET /v1/executions/{id}`.
    func get(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        try await json(try stored(ctx).report)
    }

    /// `POST /v1/executions/{id}/cancel`: the running task is cancelled and what ran is rolled back.
    func cancel(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try await stored(ctx).id
        var refused: String?
        try await gate.withExecution(id, in: executions) { engine in
            guard !engine.phase.isOver else {
                refused = "execution \(id) already finished: \(engine.phase.rawValue) (start a new one with ecs-manager run)"
                return false
            }
            var stillRunning = false
            if let running = engine.runs.last, running.outcome == nil, let taskId = running.taskId, !taskId.isEmpty {
                switch try await context.tasks.requestCancel(taskId: taskId, now: Date()) {
                case .requested: stillRunning = true  // its delegate stops it; the rollback waits for its result
                case .cancelled: context.dispatcher.finished(taskId)
                case .notFound, .alreadyFinished: break
                }
                context.notifier.notify(key: Notifier.taskKey(taskId))
            }
            engine.cancel(reason: "the execution was cancelled", taskStillRunning: stillRunning)
            if engine.phase.isOver {
                for o in observers { try await o.executionFinished(id: id, engine: engine, phase: engine.phase) }
            }
            return true
        }
        if let refused { throw APIError(.conflict, "already_finished", refused) }
        await context.audit(ctx, AuditAction.executionCancel, id)
        context.notifier.notify(key: ExecutionOrchestrator.wakeKey)
        return try await json(try stored(ctx).report)
    }

    /// `POST /v1/executions/{id}/rollback`: a succeeded execution rolled back by hand, from the kept snapshots.
    func rollback(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try await stored(ctx).id
        var refused: String?
        try await gate.withExecution(id, in: executions) { engine in
            guard engine.requestRollback(reason: "rolled back by hand") else {
                refused = !engine.phase.isOver
                    ? "execution \(id) is still running (\(engine.phase.rawValue)): cancel it to roll back what ran"
                    : "execution \(id) already ended \(engine.phase.rawValue)"
                return false
            }
            return true
        }
        if let refused { throw APIError(.conflict, "not_rollbackable", refused) }
        await context.audit(ctx, AuditAction.executionRollback, id)
        context.notifier.notify(key: ExecutionOrchestrator.wakeKey)
        return try await json(try stored(ctx).report)
    }

    /// `POST /v1/executions/{id}/approve`: the execution goes on past the approval it waits at.
    func approve(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        try await decide(approved: true, req, ctx)
    }

    /// `POST /v1/executions/{id}/reject`: the approval fails, and by its `onFailure` (default) what ran is rolled back.
    func reject(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        try await decide(approved: false, req, ctx)
    }

    /// Decides the approval execution `id` waits at, as the caller: 409 when it waits at none (or it was decided already).
    private func decide(approved: Bool, _ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let body: GateDecisionRequest = try await decode(req, ctx, limit: context.settings.maxBodyBytes)
        if let comment = body.comment, let why = Identifiers.textProblem(comment, maxBytes: GateDecisionRequest.maxCommentBytes) {
            throw APIError(.badRequest, "invalid", "member 'comment' \(why)")
        }
        let id = try await stored(ctx).id
        let decision = GateDecision(approved: approved, by: ManagerContext.actor(ctx), at: Date(), comment: body.comment)
        var result = ExecutionEngine.DecisionResult.notWaiting
        try await gate.withExecution(id, in: executions) { engine in
            result = engine.decide(decision)
            return result == .decided
        }
        switch result {
        case .decided: break
        case .alreadyDecided(let earlier):
            throw APIError(.conflict, "already_decided", "the approval of execution \(id) was already \(earlier.summary)")
        case .notWaiting:
            throw APIError(.conflict, "not_waiting", "execution \(id) is not waiting for an approval")
        }
        await context.audit(ctx, approved ? AuditAction.executionApprove : AuditAction.executionReject, id, body.comment.map { "comment=\($0)" })
        context.notifier.notify(key: ExecutionOrchestrator.wakeKey)
        return try await json(try stored(ctx).report)
    }

    private func stored(_ ctx: ManagerRequestContext) async throws -> StoredExecution {
        let id = try ctx.parameters.require("id")
        guard let e = try await executions.execution(id) else { throw APIError(.notFound, "not_found", "no execution \(id)") }
        return e
    }
}
