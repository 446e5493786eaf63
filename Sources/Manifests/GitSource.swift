import DelegateProtocol

/// A manifest in a Git repository (`{store: git, url, ref, path}`), checked so that no part of it can steer `git`.
///
/// The one owner of the rules: the pipeline reader, the manager's plan and
/// task checks and the delegate apply these same functions, so a reference
/// refused in one place is refused in all three (docs/security.md).
///
/// - `url`: `https://HOST/PATH`; `http://` and `ssh://` only where the
///   delegate's `git_protocols` allows them. Never `ext::`, `file://`,
///   `git://`, a local path, an scp-like `host:path`, credentials in the URL,
///   or anything that begins with `-`.
/// - `ref`: a branch, tag or `refs/...` name by `git check-ref-format`'s
///   rules (one-level names allowed), not beginning with `-` or `+`, or a full
///   commit id.
/// - `path`: relative, without `..`, `.` or empty components.
public struct GitSource: Sendable, Equatable {
    /// A transport the delegate may fetch over.
    public enum Transport: String, Sendable, CaseIterable, Comparable {
        case https, http, ssh

        /// In the order `https`, `http`, `ssh`.
        public static func < (a: Transport, b: Transport) -> Bool { a.rank < b.rank }

        private var rank: Int {
            switch self {
            case .https: 0
            case .http: 1
            case .ssh: 2
            }
        }
    }

    /// The repository URL.
    public var url: String
    /// The branch, tag or commit to fetch.
    public var ref: String
    /// The file in the repository.
    public var path: String
    /// The names of the task secrets holding the user name and the password or token, if any.
    public var usernameSecret: String?
    public var passwordSecret: String?

    /// The ref fetched when a reference names none.
    public static let defaultRef = "HEAD"
    /// The longest URL accepted.
    public static let maxURLBytes = 2048
    /// The longest ref accepted.
    public static let maxRefBytes = 256
    /// The longest path accepted.
    public static let maxPathBytes = 1024

    /// Reads the delegate form `{"store": "git", "url", "ref", "path", "usernameSecret", "passwordSecret"}`, checking every member.
    ///
    /// `allowed` is the set of transports the reader accepts (the delegate's
    /// `git_protocols`; every transport for the pipeline reader and the manager,
    /// which cannot know which delegate will fetch). The error names the member.
    public init(_ value: JSONValue, allowed: Set<Transport> = Set(Transport.allCases)) throws(GitSourceError) {
        func member(_ name: String, required: Bool) throws(GitSourceError) -> String? {
            guard let v = value[name], v != .null else {
                if required { throw GitSourceError(member: name, message: "is required") }
                return nil
            }
            guard let s = v.stringValue else { throw GitSourceError(member: name, message: "must be a string") }
            return s
        }
        let url = try member("url", required: true) ?? ""
        let ref = try member("ref", required: false) ?? Self.defaultRef
        let path = try member("path", required: true) ?? ""
        if let why = Self.urlProblem(url, allowed: allowed) { throw GitSourceError(member: "url", message: why) }
        if let why = Self.refProblem(ref) { throw GitSourceError(member: "ref", message: why) }
        if let why = Self.pathProblem(path) { throw GitSourceError(member: "path", message: why) }
        self.url = url
        self.ref = ref
        self.path = path
        for name in ["usernameSecret", "passwordSecret"] {
            if let s = try member(name, required: false), let why = Identifiers.textProblem(s, maxBytes: 256) {
                throw GitSourceError(member: name, message: why)
            }
        }
        usernameSecret = try member("usernameSecret", required: false)
        passwordSecret = try member("passwordSecret", required: false)
    }

    /// The transport `url` names by its scheme, or nil for anything else (a local path, `file://`, `ext::`, scp-like, an option).
    public static func transport(of url: String) -> Transport? {
        for t in Transport.allCases where url.hasPrefix(t.rawValue + "://") { return t }
        return nil
    }

    /// Why `url` is not a repository URL the delegate may fetch over one of `allowed` (nil when it is one).
    public static func urlProblem(_ url: String, allowed: Set<Transport> = Set(Transport.allCases)) -> String? {
        if url.isEmpty { return "must not be empty" }
        if url.utf8.count > maxURLBytes { return "is longer than \(maxURLBytes) bytes" }
        if url.hasPrefix("-") { return "must not begin with '-' (it would be read as an option of git)" }
        if url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || $0.properties.isWhitespace }) {
            return "must not contain white space or control characters"
        }
        let shown = String(url.prefix(128))
        guard let transport = transport(of: url) else {
            return "must be an https:// URL (http:// or ssh:// where the delegate's git_protocols allows them); '\(shown)' is refused: ext::, file://, git://, local paths and host:path forms are never fetched"
        }
        guard allowed.contains(transport) else {
            let names = allowed.sorted().map(\.rawValue).joined(separator: ", ")
            return "uses \(transport.rawValue)://, which this delegate does not fetch over (its git_protocols: \(names.isEmpty ? "none" : names))"
        }
        let rest = url.dropFirst(transport.rawValue.count + 3)
        guard let slash = rest.firstIndex(of: "/") else { return "must name a repository path after the host, e.g. https://git.example.com/team/repo.git" }
        var authority = rest[..<slash]
        if rest[rest.index(after: slash)...].isEmpty { return "must name a repository path after the host" }
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at]
            guard transport == .ssh else {
                return "must not carry a user or password (give usernameSecret and passwordSecret instead)"
            }
            if user.isEmpty || user.contains(":") || user.hasPrefix("-") {
                return "must carry at most a user name before '@' (no password, not beginning with '-')"
            }
            authority = authority[authority.index(after: at)...]
        }
        var host = authority
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return "has an unclosed '[' in its host" }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty, !(after.hasPrefix(":") && portIsValid(after.dropFirst())) { return "has an invalid port" }
            if host.isEmpty || !host.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }) {
                return "has an invalid IPv6 host"
            }
            return nil
        }
        if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            if !portIsValid(authority[authority.index(after: colon)...]) { return "has an invalid port" }
        }
        if host.isEmpty { return "must name a host" }
        if host.hasPrefix("-") { return "must not have a host beginning with '-'" }
        let hostOK = host.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "_" }
        return hostOK ? nil : "has a host with characters other than letters, digits, '.', '-' and '_'"
    }

    /// Whether `s` is a port number from 1 to 65535.
    private static func portIsValid(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 5, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(s) else { return false }
        return (1...65_535).contains(n)
    }

    /// Why `ref` is not a ref name (git's `check-ref-format` rules, one-level names allowed) or a full commit id (nil when it is).
    public static func refProblem(_ ref: String) -> String? {
        if ref.isEmpty { return "must not be empty" }
        if ref.utf8.count > maxRefBytes { return "is longer than \(maxRefBytes) bytes" }
        if ref.hasPrefix("-") { return "must not begin with '-' (it would be read as an option of git)" }
        if ref.hasPrefix("+") { return "must not begin with '+'" }
        if ref == "@" { return "must not be '@'" }
        for scalar in ref.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F { return "must not contain control characters" }
            if " ~^:?*[\\".unicodeScalars.contains(scalar) {
                return "must not contain '\(scalar == " " ? "a space" : String(scalar))' (git's ref name rules)"
            }
        }
        if ref.contains("..") { return "must not contain '..'" }
        if ref.contains("@{") { return "must not contain '@{'" }
        if ref.hasPrefix("/") || ref.hasSuffix("/") || ref.contains("//") { return "must not begin or end with '/' or contain '//'" }
        if ref.hasSuffix(".") { return "must not end with '.'" }
        for component in ref.split(separator: "/") {
            if component.hasPrefix(".") { return "must not have a component beginning with '.'" }
            if component.hasSuffix(".lock") { return "must not have a component ending with '.lock'" }
        }
        return nil
    }

    /// Why `path` is not a file path inside a repository (nil when it is one): relative, no `..`, `.` or empty components.
    public static func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return "must not be empty" }
        if path.utf8.count > maxPathBytes { return "is longer than \(maxPathBytes) bytes" }
        if path.hasPrefix("/") { return "must be relative to the repository's root" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "must not contain control characters" }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component == ".." { return "must not contain '..'" }
            if component == "." || component.isEmpty { return "must not contain '.' or empty components" }
        }
        return nil
    }

    /// The first Git reference among `payload`'s manifests that breaks a rule, its member named `manifests.KEY[.N].MEMBER` (nil: none does).
    ///
    /// The manager calls this on every plan step and every submitted task, so a
    /// hostile reference is refused with 400 before any delegate sees it.
    public static func problem(inPayload payload: JSONValue) -> GitSourceError? {
        guard let manifests = payload["manifests"]?.objectValue else { return nil }
        for key in manifests.keys.sorted() {
            let value = manifests[key] ?? .null
            let refs: [(String, JSONValue)] = value.arrayValue.map { list in list.enumerated().map { ("manifests.\(key)[\($0.offset)]", $0.element) } }
                ?? [("manifests.\(key)", value)]
            for (path, ref) in refs where ref["store"]?.stringValue == "git" {
                do {
                    _ = try GitSource(ref)
                } catch {
                    return GitSourceError(member: "\(path).\(error.member)", message: error.message)
                }
            }
        }
        return nil
    }
}

/// A Git reference member that breaks a rule of `GitSource`.
public struct GitSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member: `url`, `ref`, `path`, `usernameSecret` or `passwordSecret` (for a payload, its whole path).
    public var member: String
    /// What is wrong with it, as a phrase after the member's name.
    public var message: String

    /// `git.MEMBER MESSAGE`.
    public var description: String { "git.\(member) \(message)" }
}
