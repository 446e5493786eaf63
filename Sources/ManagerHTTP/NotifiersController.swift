import DelegateProtocol
import Foundation
import Hummingbird
import ManagerAPI
import ManagerCore

/// Notifiers and their deliveries: create or replace, list, delete, and the outbox's recent deliveries.
struct NotifiersController: Sendable {
    let context: ManagerContext
    let notifications: any NotificationRepository

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.get("notifiers") { _, _ in try await json(try notifications.notifiers()) }
        v1.put("notifiers/:name", use: put)
        v1.delete("notifiers/:name", use: delete)
        v1.get("deliveries") { req, _ in
            try await json(try notifications.deliveries(limit: try req.queryNumber("limit", in: 1...1000, fallback: 100)))
        }
    }

    /// `PUT /v1/notifiers/{name}`: 201 when created, 200 when replaced; the body is the notifier, its `name` the path's.
    ///
    /// A notifier that signs names a stored secret: a missing one is refused now, not at the first delivery.
    func put(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let name = try name(ctx)
        let body: JSONValue = try await decode(req, ctx, limit: NotifierFile.maxBytes)
        let notifier: NotifierSpec
        do {
            notifier = try NotifierSpec.parse(body)
        } catch {
            throw APIError(.badRequest, "invalid", "notifier: \(error)")
        }
        guard notifier.name == name else {
            throw APIError(.badRequest, "invalid", "member 'name' is '\(notifier.name)' but the path names '\(name)'")
        }
        if let secret = notifier.secretName {
            guard context.vault != nil else {
                throw APIError(.conflict, "secrets_disabled", "notifier \(name) signs with secret \(secret), but this manager was started without --secrets-key-file")
            }
            guard try await context.catalog.secrets().contains(where: { $0.name == secret }) else {
                throw APIError(.badRequest, "invalid", "member 'secretName' names secret '\(secret)', which does not exist: run `ecs-manager secret set \(secret)` first")
            }
        }
        let created = try await notifications.putNotifier(notifier, now: Date())
        await context.audit(ctx, AuditAction.notifierApply, name, created ? "created" : "updated")
        context.logger.info(created ? "notifier created" : "notifier updated", metadata: ["notifier": "\(name)", "events": "\(notifier.events.map(\.rawValue))"])
        return try json(AppliedNotifier(notifier: notifier, created: created), status: created ? .created : .ok)
    }

    /// `DELETE /v1/notifiers/{name}`: its pending deliveries are given up.
    func delete(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let name = try name(ctx)
        guard try await notifications.deleteNotifier(name, now: Date()) else { throw APIError(.notFound, "not_found", "no notifier \(name)") }
        await context.audit(ctx, AuditAction.notifierDelete, name)
        context.logger.info("notifier deleted", metadata: ["notifier": "\(name)"])
        return try json(StatusAnswer(status: "deleted"))
    }

    /// The path's notifier name, refused (400) when it breaks the naming rule.
    private func name(_ ctx: ManagerRequestContext) throws -> String {
        let name = try ctx.parameters.require("name")
        if let why = ResourceName.problem(name) { throw APIError(.badRequest, "invalid", "notifier name: \(why)") }
        return name
    }
}
