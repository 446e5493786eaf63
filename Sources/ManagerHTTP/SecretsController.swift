import DelegateProtocol
import Foundation
import Hummingbird
import ManagerAPI
import ManagerCore

/// Stored secrets: set, list (names and times only) and delete. No route ever answers a value.
struct SecretsController: Sendable {
    let context: ManagerContext

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.get("secrets") { _, _ in
            _ = try vault()
            return try await json(try context.catalog.secrets())
        }
        v1.put("secrets/:name", use: put)
        v1.delete("secrets/:name", use: delete)
    }

    /// `PUT /v1/secrets/{name}`: seals and stores the value; 201 when created, 200 when replaced, answering the name and times.
    func put(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let vault = try vault()
        let name = try name(ctx)
        let body: SetSecretRequest = try await decode(req, ctx, limit: SecretVault.maxValueBytes * 2)
        guard !body.value.isEmpty else { throw APIError(.badRequest, "invalid", "member 'value' must not be empty") }
        guard body.value.utf8.count <= SecretVault.maxValueBytes else {
            throw APIError(.badRequest, "invalid", "member 'value' is \(body.value.utf8.count) bytes long; at most \(SecretVault.maxValueBytes)")
        }
        let created = try await vault.put(name, value: body.value)
        await context.audit(ctx, AuditAction.secretSet, name, created ? "created" : "updated")
        context.logger.info(created ? "secret created" : "secret updated", metadata: ["secret": "\(name)"])
        guard let info = try await context.catalog.secrets().first(where: { $0.name == name }) else {
            throw APIError(.internalServerError, "internal", "secret vanished")
        }
        return try json(info, status: created ? .created : .ok)
    }

    /// `DELETE /v1/secrets/{name}`.
    func delete(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        _ = try vault()
        let name = try name(ctx)
        guard try await context.catalog.deleteSecret(name) else { throw APIError(.notFound, "not_found", "no secret \(name)") }
        await context.audit(ctx, AuditAction.secretDelete, name)
        context.logger.info("secret deleted", metadata: ["secret": "\(name)"])
        return try json(StatusAnswer(status: "deleted"))
    }

    /// The vault, or a 409 saying secrets need `--secrets-key-file`.
    private func vault() throws -> SecretVault {
        guard let v = context.vault else {
            throw APIError(.conflict, "secrets_disabled", "this manager was started without --secrets-key-file, so it cannot store secrets; restart it with a key file (32 random bytes, mode 0600)")
        }
        return v
    }

    /// The path's secret name, refused (400) when it breaks the naming rule.
    private func name(_ ctx: ManagerRequestContext) throws -> String {
        let name = try ctx.parameters.require("name")
        if let why = ResourceName.problem(name) { throw APIError(.badRequest, "invalid", "secret name: \(why)") }
        return name
    }
}
