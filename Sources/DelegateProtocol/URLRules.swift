import Foundation

/// The rules for every URL that reaches the delegate or the manager as input: http or https, a host, nothing hidden.
///
/// One owner for the check that AWS endpoints, registry URLs, token realms and
/// manager URLs share (docs/security.md); libcurl is held to http and https
/// as well, so a URL that slipped past this check still could not open
/// `file://`, `gopher://` or `dict://`.
public enum URLRules {
    /// The longest URL accepted.
    public static let maxBytes = 2048

    /// Why `url` is not an http or https URL with a host (nil when it is one); no white space, control characters or `user:password@`.
    public static func httpURLProblem(_ url: String) -> String? {
        if url.isEmpty { return "must not be empty" }
        if url.utf8.count > maxBytes { return "is longer than \(maxBytes) bytes" }
        if url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            return "must not contain white space or control characters"
        }
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = c.host, !host.isEmpty
        else {
            return "must be an http or https URL with a host, e.g. https://example.com or http://127.0.0.1:5000; got '\(url.prefix(128))'"
        }
        if c.user != nil || c.password != nil { return "must not carry user:password@ (give credentials as members or secrets)" }
        return nil
    }

    /// Why `url` cannot be a connector's URL (an AWS endpoint, a registry): `httpURLProblem`, or a link-local host (instance metadata).
    ///
    /// A connector is input from whoever may submit tasks; pointed at
    /// 169.254.169.254 it would make the delegate fetch the host's instance
    /// credentials and echo them into a task's log.
    public static func connectorURLProblem(_ url: String) -> String? {
        if let why = httpURLProblem(url) { return why }
        if let host = host(of: url), isLinkLocal(host: host) {
            return "must not name a link-local address (\(host): instance metadata and container credentials live there)"
        }
        return nil
    }

    /// The host of `url` without brackets, lower-cased (nil when it has none).
    public static func host(of url: String) -> String? {
        guard let host = URLComponents(string: url)?.host, !host.isEmpty else { return nil }
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        return h
    }

    /// Whether `host` is a link-local address literal: IPv4 169.254.0.0/16 (instance metadata, ECS credentials) or IPv6 fe80::/10 and fd00:ec2::254.
    ///
    /// Only literals are recognised here; a name that resolves to such an
    /// address is the network's business (docs/security.md).
    public static func isLinkLocal(host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, h, &v4) == 1 {
            let a = UInt32(bigEndian: v4.s_addr)
            return a >> 16 == 0xA9FE  // 169.254.0.0/16
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, h, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return true }  // fe80::/10
            let ec2: [UInt8] = [0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54]
            if bytes == ec2 { return true }
            // IPv4-mapped (::ffff:169.254.x.y).
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return bytes[12] == 169 && bytes[13] == 254 }
        }
        return false
    }
}
