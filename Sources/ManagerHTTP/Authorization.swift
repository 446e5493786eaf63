import DelegateProtocol
import Foundation
import Hummingbird
import ManagerCore
import Synchronization

/// Finds who sent each request (401 when nobody known) and checks the route's rule (403 when not allowed), before any handler runs.
struct Authorization: RouterMiddleware {
    typealias Context = ManagerRequestContext
    let authorizer: Authorizer

    /// Authenticates, authorizes, then runs the handler with the caller in the context; API errors become JSON answers.
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let principal = try await authorizer.principal(authorization: request.headers[.authorization])
            try await authorizer.authorize(principal, method: request.method, endpoint: context.endpointPath, parameters: context.parameters)
            var context = context
            context.principal = principal
            return try await next(request, context)
        } catch let e as APIError {
            return try errorResponse(e.status, e.code, e.message)
        }
    }
}

/// Resolves bearer tokens to principals and applies `RoutePermissions`; the one place access is decided.
final class Authorizer: Sendable {
    private let bootstrapHash: [UInt8]
    let access: any AccessRepository
    /// Who holds a delegate or a task, for the routes a delegate token may call only for its own.
    let repository: any DelegateRepository & TaskRepository
    /// When each token's last use was last written, so a busy token costs one write a minute, not one per call
    /// (only the tokens used within the last `touchInterval`).
    private let lastWritten = Mutex<[String: Date]>([:])
    /// How often a token's `lastUsedAt` is written at most.
    static let touchInterval: TimeInterval = 60

    /// Creates an authorizer accepting `bootstrapToken` as admin (and as any delegate) and the live tokens in `access`.
    init(bootstrapToken: String, access: any AccessRepository, repository: any DelegateRepository & TaskRepository) {
        bootstrapHash = Array(TokenValue.hash(bootstrapToken).utf8)
        self.access = access
        self.repository = repository
    }

    /// The caller named by an `Authorization: Bearer TOKEN` header, or a 401 saying what is wrong.
    func principal(authorization header: String?) async throws -> Principal {
        let prefix = "Bearer "
        guard let header, header.hasPrefix(prefix), header.utf8.count - prefix.utf8.count <= TokenValue.maxBytes else {
            throw APIError(.unauthorized, "unauthorized", "missing or wrong bearer token (send Authorization: Bearer TOKEN)")
        }
        let token = String(header.dropFirst(prefix.count))
        let hash = TokenValue.hash(token)
        if constantTimeEqual(Array(hash.utf8), bootstrapHash) { return .bootstrap }
        guard !token.isEmpty, let info = try await access.token(hash: hash) else {
            throw APIError(.unauthorized, "unauthorized", "missing or wrong bearer token (send Authorization: Bearer TOKEN)")
        }
        if let revoked = info.revokedAt {
            throw APIError(.unauthorized, "unauthorized", "token '\(info.name)' was revoked at \(ISO8601Millis.string(from: revoked)); ask an admin for a new one")
        }
        touch(info.name)
        switch info.kind {
        case .delegate: return Principal(name: info.name, role: .delegate(allowedTags: info.allowedTags))
        case .api: return Principal(name: info.name, role: .api(info.scope ?? .read))
        }
    }

    /// A 401 when `principal`'s token has been revoked since the request began (long polls ask again on every wake).
    func recheck(_ principal: Principal?) async throws {
        guard let principal, principal.role != .bootstrap else { return }
        if let info = try await access.token(named: principal.name), let revoked = info.revokedAt {
            throw APIError(.unauthorized, "unauthorized", "token '\(info.name)' was revoked at \(ISO8601Millis.string(from: revoked)); ask an admin for a new one")
        }
    }

    /// Refuses (403) a call the route's rule does not allow `principal`, naming what it needs.
    func authorize(_ principal: Principal, method: HTTPRequest.Method, endpoint: String?, parameters: Parameters) async throws {
        let rule = RoutePermissions.rule(method: method, endpoint: endpoint)
        let call = "\(method.rawValue) \(endpoint ?? "")"
        guard principal.may(rule.permission) else {
            throw APIError(.forbidden, "forbidden", "\(principal.roleDescription) may not call \(call): it needs \(Self.needs(rule.permission))")
        }
        guard principal.isDelegateToken, let id = parameters.get("id") else { return }
        switch rule.ownership {
        case .none:
            return
        case .delegateInPath:
            let owner = try await access.delegateTokenName(id)
            if owner == principal.name { return }
            // An unknown delegate is answered by the route (404: register again).
            if owner == nil, try await repository.delegate(id) == nil { return }
            throw APIError(.forbidden, "forbidden", "delegate \(id) did not register with \(principal.roleDescription)")
        case .taskLeaseInPath:
            guard let task = try await repository.task(id) else { return }
            if let holder = task.delegateId, try await access.delegateTokenName(holder) == principal.name { return }
            throw APIError(.forbidden, "forbidden", "task \(id) is not leased to a delegate that registered with \(principal.roleDescription)")
        }
    }

    /// Writes the token's last use, at most once per `touchInterval`, off the request's path: a slow or failed write is not the caller's problem.
    private func touch(_ name: String) {
        let now = Date()
        let due = lastWritten.withLock { written -> Bool in
            if let last = written[name], now.timeIntervalSince(last) < Self.touchInterval { return false }
            // Bounded: an entry older than the interval decides nothing, so revoked and idle tokens' entries go.
            written = written.filter { now.timeIntervalSince($0.value) < Self.touchInterval }
            written[name] = now
            return true
        }
        if due {
            let access = self.access
            Task { try? await access.touchToken(name, now: now) }
        }
    }

    /// What a permission takes, for the 403 message.
    private static func needs(_ permission: Permission) -> String {
        switch permission {
        case .authenticated: return "a live token"
        case .delegate: return "a delegate token"
        case .read: return "an API key with scope read, run or admin"
        case .run: return "an API key with scope run or admin"
        case .admin: return "an API key with scope admin"
        }
    }
}

/// Whether two byte strings are equal, in time that does not depend on where they differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}
