import Hummingbird
import ManagerCore

extension Request {
    /// The query parameter `name` as a number within `range`, or `fallback` when it is absent; a 400 naming it otherwise.
    func queryNumber<N: LosslessStringConvertible & Comparable>(_ name: String, in range: ClosedRange<N>, fallback: N) throws -> N {
        guard let text = uri.queryParameters[Substring(name)] else { return fallback }
        guard let value = N(String(text)), range.contains(value) else {
            throw APIError(.badRequest, "invalid", "query parameter '\(name)' must be a number from \(range.lowerBound) to \(range.upperBound), got '\(text.prefix(64))'")
        }
        return value
    }
}
