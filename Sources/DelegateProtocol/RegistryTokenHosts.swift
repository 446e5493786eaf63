/// Where a registry's login may go: the one rule for a `WWW-Authenticate` token realm, applied by the delegate and checked at the manager.
///
/// A registry names its token server in the challenge's `realm`, so the realm
/// is input from whoever runs the registry. The delegate fetches a token from
/// it only over http(s) (`URLRules`), never from a link-local address
/// (instance metadata at 169.254.169.254 or fd00:ec2::254) unless the
/// connector names that host in `tokenHosts`, and sends the connector's
/// login only to the registry's own host or a host in `tokenHosts`.
public enum RegistryTokenHosts {
    /// The most hosts a connector's `tokenHosts` may list.
    public static let maxHosts = 16

    /// Why `host` cannot be listed in `tokenHosts` (nil when it can): a DNS name or an address literal, without scheme, port or path.
    public static func hostProblem(_ host: String) -> String? {
        if host.isEmpty || host.utf8.count > 253 { return "must be a host name of 1 to 253 bytes" }
        if host.hasPrefix("-") || host.hasPrefix(".") { return "must not begin with '-' or '.'" }
        let ok = host.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == ":" }
        return ok ? nil : "must be a bare host name such as auth.docker.io (letters, digits, '.', '-'; ':' for IPv6), without scheme, port or path"
    }

    /// What the delegate may do with a token realm on `realmHost` of a registry on `registryHost`.
    public enum Decision: Sendable, Equatable {
        /// Fetch the token, sending the login if there is one.
        case sendLogin
        /// Fetch the token anonymously: the realm is elsewhere and the connector does not name it.
        case anonymousOnly
        /// Do not contact the realm at all; the reason says why.
        case refuse(String)
    }

    /// The decision for a realm on `realmHost` (lower-cased, without brackets) of a registry on `registryHost`, given the connector's `tokenHosts`.
    public static func decide(realmHost: String, registryHost: String, tokenHosts: [String]) -> Decision {
        let named = tokenHosts.contains { $0.lowercased() == realmHost }
        if URLRules.isLinkLocal(host: realmHost), !named {
            return .refuse("the token realm's host \(realmHost) is a link-local address (instance metadata); name it in the connector's tokenHosts if it really is the token server")
        }
        return realmHost == registryHost || named ? .sendLogin : .anonymousOnly
    }
}
