import Foundation

/// A one-line, user-facing explanation of a decoding error that names the member's path.
public func describe(_ error: DecodingError) -> String {
    func path(_ codingPath: [CodingKey]) -> String {
        let p = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "the top level" : String(p.drop(while: { $0 == "." }))
    }
    switch error {
    case .keyNotFound(let key, let ctx):
        return "missing required member '\(path(ctx.codingPath + [key]))'"
    case .typeMismatch(let type, let ctx):
        return "member '\(path(ctx.codingPath))' has the wrong type: expected \(type)"
    case .valueNotFound(let type, let ctx):
        return "member '\(path(ctx.codingPath))' is null: expected \(type)"
    case .dataCorrupted(let ctx):
        let under = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return "invalid JSON at \(path(ctx.codingPath)): \(under ?? ctx.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}
