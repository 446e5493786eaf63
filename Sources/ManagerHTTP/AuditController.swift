import DelegateProtocol
import Foundation
import Hummingbird
import ManagerCore

/// The audit trail: who did what and when.
struct AuditController: Sendable {
    let context: ManagerContext

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.get("audit", use: list)
    }

    /// `GET /v1/audit?since=TIME&limit=N`: the latest N entries (default 1000) at or after TIME (ISO 8601), oldest first.
    func list(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let limit = try req.queryNumber("limit", in: 1...10_000, fallback: 1000)
        var since: Date?
        if let text = req.uri.queryParameters["since"] {
            guard text.utf8.count <= 64, let date = ISO8601Millis.date(from: String(text)) else {
                throw APIError(.badRequest, "invalid", "query parameter 'since' must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got '\(text.prefix(64))'")
            }
            since = date
        }
        return try await json(try context.access.audit(since: since, limit: limit))
    }
}
