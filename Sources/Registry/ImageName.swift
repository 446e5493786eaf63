import DelegateProtocol
import Foundation

/// An image name as users write it (`nginx`, `library/nginx`, `ghcr.io/x/y`, `127.0.0.1:5000/app:1.2`), checked by Docker's grammar.
///
/// It gives the repository path a registry is asked about, the short name
/// people read (`nginx` for `library/nginx`) and the reference a task
/// definition uses (`127.0.0.1:5000/library/nginx@sha256:...`).
package struct ImageName: Sendable, Equatable {
    /// The registry host written in the name (`ghcr.io`, `127.0.0.1:5000`), if any.
    package let domain: String?
    /// The path after the domain, as written: `nginx`, `library/nginx`, `x/y`.
    package let path: String
    /// A tag written after the name (`nginx:perl`), if any.
    package let tag: String?
    /// A digest written after the name (`nginx@sha256:...`), if any.
    package let digest: String?

    /// The longest name accepted (Docker's limit for the name without tag and digest).
    package static let maxNameBytes = 255

    /// The hosts of Docker Hub, whose references carry no host prefix.
    package static let dockerHubHosts: Set<String> = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]

    /// Parses `text`; a `TaskError` (`invalid_payload`) says which part breaks the grammar.
    package init(_ text: String) throws {
        func bad(_ why: String) -> TaskError {
            TaskError(code: "invalid_payload", message: "image name '\(text.prefix(300))' \(why)")
        }
        guard !text.isEmpty else { throw bad("is empty") }
        guard text.utf8.count <= Self.maxNameBytes + 200 else { throw bad("is longer than \(Self.maxNameBytes + 200) bytes") }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            guard Self.isDigest(d) else { throw bad("has a digest that is not sha256: and 64 lower-case hex digits") }
            digest = d
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[rest.index(after: colon)...].contains("/") {
            let t = String(rest[rest.index(after: colon)...])
            guard Self.isTag(t) else { throw bad("has a tag that is not 1 to 128 letters, digits, '_', '.', '-' (not starting with '.' or '-')") }
            tag = t
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var domain: String?
        if components.count > 1, let first = components.first,
            first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: \.isUppercase)
        {
            guard Self.isDomain(first) else { throw bad("has a registry host '\(first.prefix(100))' that is not a host name with an optional :port") }
            domain = first
            components.removeFirst()
        }
        guard !components.isEmpty else { throw bad("has no repository") }
        for c in components where !Self.isPathComponent(c) {
            throw bad("has a path component '\(c.prefix(100))' that is not lower-case letters and digits separated by '.', '_', '__' or '-'")
        }
        let path = components.joined(separator: "/")
        guard ((domain.map { $0.utf8.count + 1 } ?? 0) + path.utf8.count) <= Self.maxNameBytes else {
            throw bad("is longer than \(Self.maxNameBytes) bytes without its tag and digest")
        }
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// The short name people read: the path without Docker Hub's `library/`, after the domain when one was written.
    package var displayName: String {
        let short = path.hasPrefix("library/") && path.split(separator: "/").count == 2 ? String(path.dropFirst("library/".count)) : path
        return domain.map { "\($0)/\(short)" } ?? short
    }

    /// The repository to ask the registry at `registryURL` about: Docker Hub puts one-part names under `library/`.
    package func repository(registryURL: String) -> String {
        if Self.isDockerHub(registryURL), !path.contains("/") { return "library/\(path)" }
        return path
    }

    /// The image reference a task definition uses for `tag`: `127.0.0.1:5000/library/nginx:perl`, or `nginx:perl` on Docker Hub.
    package func reference(registryURL: String, tag: String) -> String {
        "\(base(registryURL: registryURL)):\(tag)"
    }

    /// The image reference a task definition uses for `digest`: `127.0.0.1:5000/library/nginx@sha256:...`.
    package func reference(registryURL: String, digest: String) -> String {
        "\(base(registryURL: registryURL))@\(digest)"
    }

    /// The reference without tag or digest: the URL's host and port, then the repository (Docker Hub: the short name alone).
    private func base(registryURL: String) -> String {
        if Self.isDockerHub(registryURL) {
            let short = displayName
            return domain.map { short.dropFirst($0.count + 1) }.map(String.init) ?? short
        }
        let repository = repository(registryURL: registryURL)
        guard let host = Self.hostPort(registryURL) else { return repository }
        return "\(host)/\(repository)"
    }

    /// `host[:port]` of an http(s) URL, the way image references write it (IPv6 in brackets).
    package static func hostPort(_ url: String) -> String? {
        guard let c = URLComponents(string: url), let host = c.host, !host.isEmpty else { return nil }
        let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return c.port.map { "\(h):\($0)" } ?? h
    }

    /// Whether `url` is Docker Hub's registry.
    package static func isDockerHub(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        return dockerHubHosts.contains(host)
    }

    /// Whether `s` is `sha256:` and 64 lower-case hex digits (the only digest the client can verify).
    package static func isDigest(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard bytes.count == 71, s.hasPrefix("sha256:") else { return false }
        return bytes[7...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Whether `s` is a tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    package static func isTag(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F }
        return word(first) && bytes.allSatisfy { word($0) || $0 == 0x2E || $0 == 0x2D }
    }

    /// Whether `s` is one path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
    static func isPathComponent(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if alnum(bytes[i]) {
                i += 1
                continue
            }
            var j = i
            while j < bytes.count, !alnum(bytes[j]) { j += 1 }
            let sep = bytes[i..<j]
            let ok = sep.elementsEqual([0x2E]) || sep.elementsEqual([0x5F]) || sep.elementsEqual([0x5F, 0x5F]) || sep.allSatisfy { $0 == 0x2D }
            if !ok { return false }
            i = j
        }
        return true
    }

    /// Whether `s` is a registry host: DNS labels (or an IPv4 address) with an optional `:port`.
    static func isDomain(_ s: String) -> Bool {
        var host = Substring(s)
        if let colon = s.lastIndex(of: ":") {
            let port = s[s.index(after: colon)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber), let n = Int(port), n <= 65535 else { return false }
            host = s[..<colon]
        }
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let b = Array(label.utf8)
            func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
            guard let f = b.first, let l = b.last, b.count <= 63 else { return false }
            return alnum(f) && alnum(l) && b.allSatisfy { alnum($0) || $0 == 0x2D }
        }
    }
}
