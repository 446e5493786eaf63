import ManagerAPI

/// Who a request comes from: the bootstrap key, a delegate token or an API key, by the token's name.
package struct Principal: Sendable, Equatable {
    /// What the token is.
    package enum Role: Sendable, Equatable {
        /// `serve --token-file`: admin, and may also act as any delegate (so one shared token keeps working).
        case bootstrap
        /// A delegate token; `allowedTags` nil means any tag.
        case delegate(allowedTags: [String]?)
        /// An API key with its scope.
        case api(TokenScope)
    }

    /// The token's name, as the audit trail records it.
    package let name: String
    package let role: Role

    /// A caller named `name` holding a token of `role`.
    package init(name: String, role: Role) {
        self.name = name
        self.role = role
    }

    /// The name the audit trail gives the bootstrap key; no stored token may take it.
    package static let bootstrapName = "bootstrap"

    /// The bootstrap key's principal.
    package static let bootstrap = Principal(name: bootstrapName, role: .bootstrap)

    /// Whether the role grants `permission` (admin ⊇ run ⊇ read; delegate tokens only act as delegates).
    package func may(_ permission: Permission) -> Bool {
        switch (role, permission) {
        case (_, .authenticated), (.bootstrap, _): return true
        case (.delegate, .delegate): return true
        case (.delegate, _), (.api, .delegate): return false
        case (.api(let scope), .read): return scope >= .read
        case (.api(let scope), .run): return scope >= .run
        case (.api(let scope), .admin): return scope >= .admin
        }
    }

    /// How the role reads in an error message.
    package var roleDescription: String {
        switch role {
        case .bootstrap: return "the bootstrap key"
        case .delegate: return "delegate token '\(name)'"
        case .api(let scope): return "API key '\(name)' (scope \(scope.rawValue))"
        }
    }

    /// Whether the principal acts as a delegate bound to its own registrations (false for the bootstrap key, which may act as any).
    package var isDelegateToken: Bool {
        if case .delegate = role { return true }
        return false
    }
}

/// What a route needs.
package enum Permission: String, Sendable {
    /// Any live token (e.g. the health check).
    case authenticated
    /// A delegate's own calls: register, heartbeat, poll, unregister, logs and results of its leases.
    case delegate
    /// List and follow tasks, executions and delegates.
    case read
    /// Submit, run, cancel, roll back.
    case run
    /// Connectors, secrets, tokens and the audit trail.
    case admin
}
