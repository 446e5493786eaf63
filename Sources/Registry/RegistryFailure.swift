import DelegateProtocol
import Foundation
import HTTPClient

/// The registry client's failures as `TaskError`s: plain words, the registry's own error code, never a password.
///
/// Codes: `registry.unauthorized` (401), `registry.denied` (403),
/// `registry.<code>` for the registry's JSON error code (`registry.manifest_unknown`,
/// `registry.name_unknown`, ...), `registry.http_<status>` without one,
/// `registry.unreachable`, `registry.digest_mismatch`, `registry.invalid_response`, `registry.ecr`.
package enum RegistryFailure {
    /// The longest registry message quoted in an error.
    static let maxQuotedBytes = 300

    /// An answer with an error status: the registry's first JSON error (`{"errors": [{"code", "message"}]}`) named.
    static func status(_ response: HTTPClientResponse, registry: String, request: String, who: String) -> TaskError {
        let (code, message) = firstError(response.body)
        let detail = [code, message].compactMap { $0 }.joined(separator: ": ")
        let suffix = detail.isEmpty ? "" : " (\(detail))"
        switch response.status {
        case 401:
            return TaskError(code: "registry.unauthorized", message: "401 unauthorized: registry \(registry) refused \(who) for \(request)\(suffix)")
        case 403:
            return TaskError(code: "registry.denied", message: "403 denied: registry \(registry) does not let \(who) do \(request)\(suffix)")
        default:
            let name = code.map { "registry.\($0.lowercased())" } ?? "registry.http_\(response.status)"
            let what = detail.isEmpty ? "HTTP \(response.status)" : "\(response.status) \(detail)"
            return TaskError(code: name, message: "registry \(registry): \(request): \(what)")
        }
    }

    /// The request never got an answer (refused connection, timeout, TLS).
    static func unreachable(_ error: Error, registry: String, request: String) -> TaskError {
        if let e = error as? HTTPClientError, e.kind == .tooLarge {
            return TaskError(code: "registry.invalid_response", message: "registry \(registry): \(request): the answer is too large (\(e.message))")
        }
        return TaskError(code: "registry.unreachable", message: "registry \(registry) cannot be reached: \(request): \(error)")
    }

    /// An answer the client cannot use.
    static func invalid(_ why: String, registry: String, request: String) -> TaskError {
        TaskError(code: "registry.invalid_response", message: "registry \(registry): \(request): \(why)")
    }

    /// The registry's first error code (upper-case letters, digits, `_`; at most 64) and message, when the body has them.
    static func firstError(_ body: Data) -> (code: String?, message: String?) {
        guard body.count <= 64 << 10, let json = try? JSONValue(parsing: body), let first = json["errors"]?[0] else { return (nil, nil) }
        let code = first["code"]?.stringValue.flatMap { c -> String? in
            let ok = !c.isEmpty && c.utf8.count <= 64 && c.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            return ok ? c : nil
        }
        return (code, first["message"]?.stringValue.map(quoted))
    }

    /// `text` on one line, without control characters, at most `maxQuotedBytes`.
    static func quoted(_ text: String) -> String {
        let clean = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        return clean.utf8.count <= maxQuotedBytes ? clean : String(clean.prefix(maxQuotedBytes)) + "…"
    }
}
