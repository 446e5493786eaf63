import DelegateProtocol
import Foundation
import Hummingbird
import ManagerAPI
import ManagerCore

/// Tokens: create (the value shown once), list (never values), revoke (at once: the next call with it is 401).
struct TokensController: Sendable {
    let context: ManagerContext

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.get("tokens") { _, _ in try await json(try context.access.tokens()) }
        v1.post("tokens", use: create)
        v1.post("tokens/:name/revoke", use: revoke)
    }

    /// `POST /v1/tokens`: 201 with the token's value (the only time it is shown) and its entry; 409 when the name is taken.
    func create(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let body: CreateTokenRequest = try await decode(req, ctx, limit: 64 << 10)
        if let why = Self.problem(body) { throw APIError(.badRequest, "invalid", why) }
        let value = try TokenValue.make()
        let info = TokenInfo(name: body.name, kind: body.kind, scope: body.scope, allowedTags: body.allowedTags, createdAt: Date())
        guard try await context.access.createToken(info, hash: TokenValue.hash(value)) else {
            throw APIError(.conflict, "name_taken", "a token named \(body.name) exists (or existed and was revoked); choose another name")
        }
        await context.audit(ctx, AuditAction.tokenCreate, body.name, Self.describe(info))
        context.logger.info("token created", metadata: ["token": "\(body.name)", "kind": "\(body.kind.rawValue)"])
        return try await json(CreatedToken(token: value, info: try context.access.token(named: body.name) ?? info), status: .created)
    }

    /// `POST /v1/tokens/{name}/revoke`: the token stops working at once; its delegates' running tasks are failed, unstarted ones requeued.
    func revoke(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let name = try ctx.parameters.require("name")
        if let why = ResourceName.problem(name) { throw APIError(.badRequest, "invalid", "token name: \(why)") }
        guard let r = try await context.access.revokeToken(name, now: Date()) else { throw APIError(.notFound, "not_found", "no token \(name)") }
        if !r.alreadyRevoked {
            await context.audit(ctx, AuditAction.tokenRevoke, name, r.failed.isEmpty ? nil : "failed tasks: \(r.failed.joined(separator: ", "))")
            context.logger.warning("token revoked", metadata: ["token": "\(name)", "delegates": "\(r.delegates)", "failed": "\(r.failed)", "requeued": "\(r.requeued)"])
            // Parked long polls of its delegates wake, see the revocation and answer 401.
            for id in r.delegates { context.notifier.notify(key: Notifier.delegateKey(id)) }
            for id in r.failed {
                context.dispatcher.finished(id)
                context.notifier.notify(key: Notifier.taskKey(id))
            }
            if !r.requeued.isEmpty { context.wakePollers() }
            if !r.failed.isEmpty { context.notifier.notify(key: ExecutionOrchestrator.wakeKey) }
        }
        return try json(r)
    }

    /// Why `body` cannot be created, or nil.
    static func problem(_ body: CreateTokenRequest) -> String? {
        if let why = ResourceName.problem(body.name) { return "member 'name': \(why)" }
        if body.name == Principal.bootstrapName { return "member 'name': '\(Principal.bootstrapName)' names the serve --token-file key; choose another name" }
        switch body.kind {
        case .api:
            if body.scope == nil { return "member 'scope' is required for an API key: read, run or admin" }
            if body.allowedTags != nil { return "member 'allowedTags' is only for delegate tokens" }
        case .delegate:
            if body.scope != nil { return "member 'scope' is only for API keys; a delegate token can only act as a delegate" }
            if let tags = body.allowedTags {
                if tags.isEmpty { return "member 'allowedTags' must list at least one tag (leave it out to allow any)" }
                if tags.count > Identifiers.maxTags { return "member 'allowedTags' holds \(tags.count) tags; at most \(Identifiers.maxTags)" }
                for (i, tag) in tags.enumerated() {
                    if let why = Identifiers.tagProblem(tag) { return "member 'allowedTags[\(i)]': \(why)" }
                }
            }
        }
        return nil
    }

    /// The token's kind, scope and tags for the audit trail.
    static func describe(_ info: TokenInfo) -> String {
        var parts = ["kind=\(info.kind.rawValue)"]
        if let scope = info.scope { parts.append("scope=\(scope.rawValue)") }
        if let tags = info.allowedTags { parts.append("allowedTags=\(tags.joined(separator: ","))") }
        return parts.joined(separator: " ")
    }
}
