import Foundation

/// The paths of the manager's web console, owned here so the server that serves them and the notifications that link to them agree.
public enum ConsoleLinks {
    /// An execution's page under the manager's external URL `base` (e.g. `https://deploy.example.com`).
    public static func execution(base: String, id: String) -> String {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        let segment = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: "/"))) ?? id
        return "\(trimmed)/console/executions/\(segment)"
    }
}
