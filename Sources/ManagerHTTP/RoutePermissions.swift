import Hummingbird
import ManagerCore

/// The one table of what each route needs: a permission, and for delegate calls, which resource must be the caller's own.
public enum RoutePermissions {
    /// Which resource a delegate token must own for the call.
    enum Ownership: Sendable, Equatable {
        /// Nothing beyond the permission.
        case none
        /// The delegate in the path's `id` must have registered with this token.
        case delegateInPath
        /// The task in the path's `id` must be leased to a delegate that registered with this token.
        case taskLeaseInPath
    }

    /// A route's needs.
    struct Rule: Sendable, Equatable {
        let permission: Permission
        let ownership: Ownership
    }

    /// Every route, as `METHOD /path/{param}` (Hummingbird's endpoint path), and what it needs.
    static let table: [String: Rule] = [
        "GET /v1/health": Rule(permission: .authenticated, ownership: .none),
        "GET /metrics": Rule(permission: .authenticated, ownership: .none),
        // Delegates.
        "POST /v1/delegates/register": Rule(permission: .delegate, ownership: .none),
        "POST /v1/delegates/{id}/heartbeat": Rule(permission: .delegate, ownership: .delegateInPath),
        "GET /v1/delegates/{id}/tasks/next": Rule(permission: .delegate, ownership: .delegateInPath),
        "POST /v1/delegates/{id}/unregister": Rule(permission: .delegate, ownership: .delegateInPath),
        "POST /v1/tasks/{id}/logs": Rule(permission: .delegate, ownership: .taskLeaseInPath),
        "POST /v1/tasks/{id}/result": Rule(permission: .delegate, ownership: .taskLeaseInPath),
        // Read.
        "GET /v1/delegates": Rule(permission: .read, ownership: .none),
        "GET /v1/tasks": Rule(permission: .read, ownership: .none),
        "GET /v1/tasks/{id}": Rule(permission: .read, ownership: .none),
        "GET /v1/tasks/{id}/logs": Rule(permission: .read, ownership: .none),
        "GET /v1/executions": Rule(permission: .read, ownership: .none),
        "GET /v1/executions/{id}": Rule(permission: .read, ownership: .none),
        // Run.
        "POST /v1/tasks": Rule(permission: .run, ownership: .none),
        "POST /v1/tasks/{id}/cancel": Rule(permission: .run, ownership: .none),
        "POST /v1/executions": Rule(permission: .run, ownership: .none),
        "POST /v1/executions/{id}/cancel": Rule(permission: .run, ownership: .none),
        "POST /v1/executions/{id}/rollback": Rule(permission: .run, ownership: .none),
        "POST /v1/executions/{id}/approve": Rule(permission: .run, ownership: .none),
        "POST /v1/executions/{id}/reject": Rule(permission: .run, ownership: .none),
        // Admin.
        "GET /v1/connectors": Rule(permission: .admin, ownership: .none),
        "GET /v1/connectors/{name}": Rule(permission: .admin, ownership: .none),
        "PUT /v1/connectors/{name}": Rule(permission: .admin, ownership: .none),
        "DELETE /v1/connectors/{name}": Rule(permission: .admin, ownership: .none),
        "POST /v1/connectors/{name}/test": Rule(permission: .admin, ownership: .none),
        "GET /v1/secrets": Rule(permission: .admin, ownership: .none),
        "PUT /v1/secrets/{name}": Rule(permission: .admin, ownership: .none),
        "DELETE /v1/secrets/{name}": Rule(permission: .admin, ownership: .none),
        "GET /v1/tokens": Rule(permission: .admin, ownership: .none),
        "POST /v1/tokens": Rule(permission: .admin, ownership: .none),
        "POST /v1/tokens/{name}/revoke": Rule(permission: .admin, ownership: .none),
        "GET /v1/audit": Rule(permission: .admin, ownership: .none),
        "GET /v1/notifiers": Rule(permission: .admin, ownership: .none),
        "PUT /v1/notifiers/{name}": Rule(permission: .admin, ownership: .none),
        "DELETE /v1/notifiers/{name}": Rule(permission: .admin, ownership: .none),
        "GET /v1/deliveries": Rule(permission: .admin, ownership: .none),
    ]

    /// Every route with what it needs (`authenticated`, `delegate`, `read`, `run` or `admin`), sorted: for tests and documentation.
    public static var routes: [(route: String, needs: String)] {
        table.map { ($0.key, $0.value.permission.rawValue) }.sorted { $0.route < $1.route }
    }

    /// What `method` on `endpoint` needs: the table's rule; a path no route serves needs only a live token (it answers 404);
    /// a route missing from the table needs admin, so a route added without a rule is closed rather than open.
    static func rule(method: HTTPRequest.Method, endpoint: String?) -> Rule {
        guard let endpoint else { return Rule(permission: .authenticated, ownership: .none) }
        return table["\(method.rawValue) \(endpoint)"] ?? Rule(permission: .admin, ownership: .none)
    }
}
