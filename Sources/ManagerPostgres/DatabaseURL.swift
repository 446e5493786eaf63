import Foundation
import ManagerCore

/// Where the manager's PostgreSQL database is: `postgres://USER@HOST:PORT/DB?sslmode=MODE`, checked where it enters.
///
/// The password never comes from the URL (it would show in `ps` and in shell
/// history): `--database-password-file` holds it. A URL with a password is refused.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS, as libpq's `sslmode` names it.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain otherwise (libpq's default).
        case prefer
        /// TLS or nothing, without checking the certificate.
        case require
        /// TLS with the certificate checked against the CA, not the host name.
        case verifyCA = "verify-ca"
        /// TLS with the certificate and the host name checked.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// PEM CA file for `verify-ca` / `verify-full` (`sslrootcert`); nil: the system's CAs.
    public var sslRootCert: String?

    /// The URL without any secret, for logs.
    public var description: String {
        "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// Parses `text`; the error names what is wrong.
    public init(_ text: String) throws {
        guard text.utf8.count <= 2048 else { throw DatabaseURLError("the database URL is longer than 2048 bytes") }
        guard let c = URLComponents(string: text), let scheme = c.scheme, ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw DatabaseURLError("the database URL must look like postgres://USER@HOST:PORT/DB, got '\(Self.redacted(text))'")
        }
        if c.password != nil {
            throw DatabaseURLError("the database URL must not hold a password (it would show in ps); put it in --database-password-file")
        }
        guard let user = c.user, !user.isEmpty else { throw DatabaseURLError("the database URL names no user (postgres://USER@HOST:PORT/DB)") }
        guard let host = c.host, !host.isEmpty else { throw DatabaseURLError("the database URL names no host") }
        let port = c.port ?? 5432
        guard (1...65535).contains(port) else { throw DatabaseURLError("the database URL's port \(port) is outside 1-65535") }
        let database = String(c.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw DatabaseURLError("the database URL names no database (postgres://USER@HOST:PORT/DB)") }
        var mode = SSLMode.prefer
        var rootCert: String?
        for item in c.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let v = item.value, let m = SSLMode(rawValue: v) else {
                    throw DatabaseURLError("sslmode '\(item.value ?? "")' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                mode = m
            case "sslrootcert":
                guard let v = item.value, !v.isEmpty else { throw DatabaseURLError("sslrootcert names no file") }
                rootCert = v
            default:
                throw DatabaseURLError("unknown database URL parameter '\(item.name)' (known: sslmode, sslrootcert)")
            }
        }
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = mode
        self.sslRootCert = rootCert
    }

    /// `text` with anything between `//` and `@` (user and password) cut, for error messages.
    static func redacted(_ text: String) -> String {
        guard let start = text.range(of: "//"), let at = text.range(of: "@", range: start.upperBound..<text.endIndex) else { return String(text.prefix(200)) }
        return String((text[..<start.upperBound] + "…" + text[at.lowerBound...]).prefix(200))
    }

    /// Reads the password from `path`: the first line, without its line ending; refuses a file others may read.
    public static func password(fromFile path: String) throws -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let data = FileManager.default.contents(atPath: path) else {
            throw DatabaseURLError("cannot read the database password file \(path)")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw DatabaseURLError("the database password file \(path) may be read by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        guard data.count <= 4096 else { throw DatabaseURLError("the database password file \(path) is larger than 4096 bytes") }
        let text = String(decoding: data, as: UTF8.self)
        let password = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map { String($0) } ?? ""
        guard !password.isEmpty else { throw DatabaseURLError("the database password file \(path) is empty") }
        return password
    }
}

/// A database URL or password file that cannot be used; says what is wrong (never the password).
public struct DatabaseURLError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// Creates an error saying `description`.
    init(_ description: String) { self.description = description }
}
