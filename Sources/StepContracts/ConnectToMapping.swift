import DelegateProtocol
import Foundation

/// One `connectTo` entry of `verify.http`: requests for `HOST:PORT` connect to `CONNECT-TO-HOST:CONNECT-TO-PORT` instead (curl's `--connect-to`).
///
/// The URL, the `Host` header and TLS's server name stay those of `HOST`; only
/// the TCP connection goes elsewhere: a load balancer reached through a tunnel,
/// or the simulator's loopback listener standing in for a DNS name. All four
/// parts are required and checked strictly (hostnames, IP literals and ports
/// only), since the text is handed to libcurl as it is.
public struct ConnectToMapping: Sendable, Equatable, CustomStringConvertible {
    /// The most entries a payload may give.
    public static let maxCount = 16
    /// The longest host name accepted (DNS's limit).
    static let maxHostBytes = 253

    /// The host the URL names.
    public let host: String
    /// The port the URL names (or implies).
    public let port: Int
    /// The host connected to instead: a host name or an IP literal (IPv6 in brackets).
    public let connectHost: String
    /// The port connected to instead.
    public let connectPort: Int

    /// Reads `HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT`; a `PayloadProblem` names `member` and what is wrong.
    public init(parsing text: String, member: String) throws(PayloadProblem) {
        let form = "must be HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT, e.g. my-alb-123.us-east-1.elb.amazonaws.com:443:127.0.0.1:8443"
        guard text.utf8.count <= 2 * Self.maxHostBytes + 16 else { throw .member(member, "is longer than \(2 * Self.maxHostBytes + 16) bytes") }
        guard let parts = Self.split(text), parts.count == 4 else { throw .member(member, "\(form); got '\(text.prefix(128))'") }
        guard Self.isHost(parts[0]) else { throw .member(member, "has an invalid host '\(parts[0].prefix(64))' (a host name or an IP literal, IPv6 in brackets)") }
        guard let port = Self.port(parts[1]) else { throw .member(member, "has an invalid port '\(parts[1].prefix(16))' (1-65535)") }
        guard Self.isHost(parts[2]) else {
            throw .member(member, "has an invalid connect-to host '\(parts[2].prefix(64))' (a host name or an IP literal, IPv6 in brackets)")
        }
        guard !URLRules.isLinkLocal(host: parts[2]) else {
            throw .member(member, "must not connect to a link-local address (\(parts[2]): instance metadata and container credentials live there)")
        }
        guard let connectPort = Self.port(parts[3]) else { throw .member(member, "has an invalid connect-to port '\(parts[3].prefix(16))' (1-65535)") }
        host = parts[0]
        self.port = port
        connectHost = parts[2]
        self.connectPort = connectPort
    }

    /// The entry as libcurl reads it: `HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT`.
    public var description: String { "\(host):\(port):\(connectHost):\(connectPort)" }

    /// The colon-separated parts, a bracketed IPv6 literal kept whole (nil for an unbalanced bracket).
    static func split(_ text: String) -> [String]? {
        var parts: [String] = []
        var current = ""
        var inBrackets = false
        for c in text {
            switch c {
            case "[":
                guard !inBrackets, current.isEmpty else { return nil }
                inBrackets = true
                current.append(c)
            case "]":
                guard inBrackets else { return nil }
                inBrackets = false
                current.append(c)
            case ":" where !inBrackets:
                parts.append(current)
                current = ""
                guard parts.count < 4 else { return nil }
            default:
                current.append(c)
            }
        }
        guard !inBrackets else { return nil }
        parts.append(current)
        return parts
    }

    /// Whether `text` is a host name (letters, digits, hyphens; dot-separated labels of 1-63) or an IP literal (IPv6 in brackets).
    static func isHost(_ text: String) -> Bool {
        if text.hasPrefix("[") {
            guard text.hasSuffix("]"), text.utf8.count <= 47 else { return false }
            var v6 = in6_addr()
            return inet_pton(AF_INET6, String(text.dropFirst().dropLast()), &v6) == 1
        }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maxHostBytes else { return false }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return false }
            for b in label {
                let ok = (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                    || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-")
                guard ok else { return false }
            }
        }
        return true
    }

    /// A port of 1-5 ASCII digits from 1 to 65535 (nil otherwise).
    static func port(_ text: String) -> Int? {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let n = Int(text), (1...65_535).contains(n)
        else { return nil }
        return n
    }
}
