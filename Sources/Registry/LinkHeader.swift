import Foundation

/// The `Link` header of a paginated registry answer: `</v2/name/tags/list?last=x&n=100>; rel="next"`.
package enum LinkHeader {
    /// The target of the `rel="next"` link, if the header has one within 4096 bytes.
    package static func next(_ header: String?) -> String? {
        guard let header, header.utf8.count <= 4096 else { return nil }
        for link in header.split(separator: ",") {
            let parts = link.split(separator: ";")
            guard let target = parts.first?.trimmingCharacters(in: .whitespaces), target.hasPrefix("<"), target.hasSuffix(">") else { continue }
            let rels = parts.dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if rels.contains(where: { $0 == "rel=\"next\"" || $0 == "rel=next" }) {
                return String(target.dropFirst().dropLast())
            }
        }
        return nil
    }
}
