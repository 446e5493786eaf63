import DelegateProtocol
import Foundation
import Hummingbird
import ManagerCore

/// Task logs: the delegate's batches in, pages (and follows) out.
struct LogsController: Sendable {
    let context: ManagerContext

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.post("tasks/:id/logs", use: ingest)
        v1.get("tasks/:id/logs", use: page)
    }

    /// `POST /v1/tasks/{id}/logs`: stores lines exactly once, in order.
    func ingest(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        let batch: LogBatch = try await decode(req, ctx, limit: context.settings.maxBodyBytes)
        let ack = try await leaseChecked { try await context.tasks.appendLogs(taskId: id, batch: batch) }
        context.notifier.notify(key: Notifier.taskKey(id))
        return try json(ack)
    }

    /// `GET /v1/tasks/{id}/logs?after=SEQ&wait=S&limit=N`: waits up to S seconds for the first new line.
    func page(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        let after = try req.queryNumber("after", in: 0...Int64.max, fallback: 0)
        let wait = Duration.seconds(clamping: try req.queryNumber("wait", in: 0...60, fallback: 0), to: 0...60)
        let limit = try req.queryNumber("limit", in: 1...20000, fallback: 5000)
        let page: LogPage? = try await context.notifier.poll(key: Notifier.taskKey(id), until: .now + wait) { last in
            // A key revoked during a follow hears 401 at the next wake, not a minute later.
            try await context.authorizer.recheck(ctx.principal)
            guard let report = try await context.tasks.task(id) else { throw APIError(.notFound, "not_found", "no task \(id)") }
            let lines = try await context.tasks.logs(taskId: id, after: after, limit: limit)
            return !lines.isEmpty || report.isFinished || last ? LogPage(lines: lines, state: report.state) : nil
        }
        guard let page else { throw APIError(.notFound, "not_found", "no task \(id)") }
        return try json(page)
    }
}
