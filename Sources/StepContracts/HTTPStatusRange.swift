/// The HTTP statuses a verification accepts, written `200` or `200-299`: `verify.http`'s `expectStatus`.
public struct HTTPStatusRange: Sendable, Equatable, CustomStringConvertible {
    /// The statuses a status may be written as.
    public static let statuses = 100...599
    /// `200-399`: any success or redirect, what `expectStatus` means when absent.
    public static let successOrRedirect = HTTPStatusRange(lower: 200, upper: 399)

    /// The lowest status accepted.
    public let lower: Int
    /// The highest status accepted.
    public let upper: Int

    /// A range of statuses from `lower` to `upper`.
    init(lower: Int, upper: Int) {
        self.lower = lower
        self.upper = upper
    }

    /// Reads `200` or `200-299`; a `PayloadProblem` names `member` when the text is neither, a status is outside 100-599, or the range is reversed.
    public init(parsing text: String, member: String) throws(PayloadProblem) {
        let parts = text.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        let form = "must be a status or a range of statuses from \(Self.statuses.lowerBound) to \(Self.statuses.upperBound), e.g. 200 or 200-299"
        guard text.utf8.count <= 7, parts.count <= 2 else { throw .member(member, "\(form); got '\(text.prefix(16))'") }
        var bounds: [Int] = []
        for part in parts {
            // Exactly three ASCII digits: no signs, spaces or other numerals Int(_:) might accept.
            guard part.utf8.count == 3, part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let n = Int(part), Self.statuses.contains(n)
            else { throw .member(member, "\(form); got '\(text)'") }
            bounds.append(n)
        }
        guard let lower = bounds.first, let upper = bounds.last else { throw .member(member, "\(form); got '\(text)'") }
        guard lower <= upper else { throw .member(member, "must name the lower status first, e.g. \(upper)-\(lower); got '\(text)'") }
        self.init(lower: lower, upper: upper)
    }

    /// Whether `status` is accepted.
    public func contains(_ status: Int) -> Bool { (lower...upper).contains(status) }

    /// `200` for one status, `200-399` for a range.
    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}
