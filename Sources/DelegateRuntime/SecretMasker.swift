import DelegateProtocol
import Foundation

/// Replaces secret values in log text with `**************` before anything stores or sends it.
///
/// Each secret is matched as written, line by line when it spans lines, and as
/// it appears inside a JSON string (escaped quotes, backslashes, slashes and
/// control characters).
public struct SecretMasker: Sendable {
    /// What a secret becomes.
    public static let mask = "**************"
    private let needles: [String]

    /// Creates a masker for `secrets`; values shorter than 4 characters are ignored
    /// (masking "a" would make every log unreadable and protects nothing).
    public init(secrets: some Sequence<String>) {
        var set = Set<String>()
        // A multi-line secret (a PEM key) is usually logged a line at a time: mask each of its lines too.
        let parts = secrets.flatMap { s in
            [s] + (s.contains("\n") ? s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) } : [])
        }
        for s in parts where s.count >= 4 {
            set.insert(s)
            for slash in [false, true] {
                set.insert(jsonEscaped(s, escapeSlash: slash))
                set.insert(jsonEscaped(jsonEscaped(s, escapeSlash: slash), escapeSlash: slash))
            }
        }
        // Longest first, so a secret containing another is masked whole.
        needles = set.sorted { $0.count > $1.count }
    }

    /// Whether there is anything to mask.
    public var isEmpty: Bool { needles.isEmpty }

    /// `text` with every secret replaced.
    public func apply(_ text: String) -> String {
        guard !needles.isEmpty else { return text }
        var out = text
        for n in needles where UTF8Search.contains(out, n) {
            out = out.replacingOccurrences(of: n, with: Self.mask)
        }
        return out
    }
}

/// `s` as it appears inside a JSON string; encoders differ on whether `/` is escaped.
func jsonEscaped(_ s: String, escapeSlash: Bool) -> String {
    let quoted = JSONValue.string(s).jsonString
    let inner = String(quoted.dropFirst().dropLast())
    return escapeSlash ? inner.replacingOccurrences(of: "/", with: "\\/") : inner
}
