import Foundation

/// One call's route: which endpoint, and the path (with its query) to send, every argument percent-encoded.
public struct ManagerRoute: Sendable, Equatable {
    /// The route it fills in.
    public let endpoint: ManagerEndpoint
    /// The path and query to append to a base URL, e.g. `/v1/tasks/t%2F1/logs?after=5`.
    public let path: String

    /// The HTTP method.
    public var method: String { endpoint.method }

    /// `endpoint`'s template with each `{parameter}` replaced, in order, by one of `arguments` encoded as one path segment,
    /// then `query` (names and values encoded); refused when the counts differ or an argument is empty.
    public init(_ endpoint: ManagerEndpoint, _ arguments: [String] = [], query: [URLQueryItem] = []) throws(ManagerRouteError) {
        let parameters = endpoint.template.split(separator: "/").filter { $0.hasPrefix("{") }
        guard parameters.count == arguments.count else { throw .argumentCount(endpoint, expected: parameters.count, got: arguments.count) }
        var remaining = arguments[...]
        var segments: [String] = []
        for segment in endpoint.template.split(separator: "/", omittingEmptySubsequences: false) {
            guard segment.hasPrefix("{"), let argument = remaining.popFirst() else {
                segments.append(String(segment))
                continue
            }
            guard !argument.isEmpty else { throw .emptyArgument(endpoint, parameter: String(segment.dropFirst().dropLast())) }
            segments.append(Self.encodeSegment(argument))
        }
        self.endpoint = endpoint
        self.path = segments.joined(separator: "/") + Self.encodeQuery(query)
    }

    /// The characters a path segment or query part keeps as written: RFC 3986's unreserved ones.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `text` as one path segment: everything but unreserved characters percent-encoded, and `.` or `..` spelled
    /// `%2E` so no client or proxy removes it as a dot segment.
    static func encodeSegment(_ text: String) -> String {
        if text == "." || text == ".." { return String(repeating: "%2E", count: text.count) }
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// `items` as a query string with its `?` (empty without items), built by `URLComponents`; `+` is encoded too, so no
    /// server reads it as a space.
    static func encodeQuery(_ items: [URLQueryItem]) -> String {
        guard !items.isEmpty else { return "" }
        var components = URLComponents()
        components.queryItems = items
        let query = components.percentEncodedQuery ?? ""
        return "?" + query.replacingOccurrences(of: "+", with: "%2B")
    }
}
