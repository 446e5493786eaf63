import Foundation

/// A `WWW-Authenticate` challenge of a registry: `Basic realm="..."` or `Bearer realm="...",service="...",scope="..."`.
package enum AuthChallenge: Sendable, Equatable {
    /// Basic auth is asked for.
    case basic
    /// A token is to be fetched from `realm` for `service` and `scope` (either may be absent).
    case bearer(realm: String, service: String?, scope: String?)

    /// The longest header read; a longer one is not a challenge the client takes.
    static let maxHeaderBytes = 8192

    /// Parses a header value; nil for a missing, oversized or unknown scheme, or a Bearer challenge without a realm.
    package init?(header: String?) {
        guard let header, header.utf8.count <= Self.maxHeaderBytes else { return nil }
        let trimmed = header.drop { $0 == " " }
        let scheme = trimmed.prefix { $0 != " " && $0 != "\t" }.lowercased()
        let params = Self.parameters(trimmed.dropFirst(scheme.count))
        switch scheme {
        case "basic":
            self = .basic
        case "bearer":
            guard let realm = params["realm"], !realm.isEmpty else { return nil }
            self = .bearer(realm: realm, service: params["service"], scope: params["scope"])
        default:
            return nil
        }
    }

    /// The `name=value` and `name="quoted, value"` pairs of an auth-param list, names lower-cased.
    static func parameters(_ text: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var i = text.startIndex
        func skip(_ chars: Set<Character>) {
            while i < text.endIndex, chars.contains(text[i]) { i = text.index(after: i) }
        }
        while i < text.endIndex {
            skip([" ", "\t", ","])
            let nameStart = i
            while i < text.endIndex, text[i] != "=", text[i] != "," { i = text.index(after: i) }
            let name = text[nameStart..<i].trimmingCharacters(in: .whitespaces).lowercased()
            guard i < text.endIndex, text[i] == "=" else { continue }
            i = text.index(after: i)
            skip([" ", "\t"])
            var value = ""
            if i < text.endIndex, text[i] == "\"" {
                i = text.index(after: i)
                while i < text.endIndex, text[i] != "\"" {
                    if text[i] == "\\", text.index(after: i) < text.endIndex { i = text.index(after: i) }
                    value.append(text[i])
                    i = text.index(after: i)
                }
                if i < text.endIndex { i = text.index(after: i) }
            } else {
                while i < text.endIndex, text[i] != "," {
                    value.append(text[i])
                    i = text.index(after: i)
                }
                value = value.trimmingCharacters(in: .whitespaces)
            }
            if !name.isEmpty, out[name] == nil { out[name] = value }
        }
        return out
    }
}
