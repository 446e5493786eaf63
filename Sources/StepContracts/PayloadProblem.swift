import DelegateProtocol

/// Why a payload cannot run: the member at fault and what is wrong with it, in the wording every step shares.
public struct PayloadProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole sentence, e.g. `payload member 'cluster' must not be empty`.
    public var message: String

    /// A problem in the given words.
    public init(_ message: String) { self.message = message }

    /// A problem with `member`: "payload member 'member' why".
    public static func member(_ member: String, _ why: String) -> PayloadProblem {
        PayloadProblem("payload member '\(member)' \(why)")
    }

    public var description: String { message }
}

/// Range and presence checks payloads share, with one wording.
public enum PayloadCheck {
    /// Throws unless `value` (when present) lies in `range`.
    public static func range(_ value: Int?, _ range: ClosedRange<Int>, _ member: String) throws(PayloadProblem) {
        guard let value else { return }
        if !range.contains(value) {
            throw .member(member, "must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
    }

    /// Throws unless `value` (when present) is a finite number in `range`; never traps, whatever the number.
    public static func range(_ value: Double?, _ range: ClosedRange<Double>, _ member: String) throws(PayloadProblem) {
        guard let value else { return }
        if !value.isFinite || !range.contains(value) {
            throw .member(member, "must be from \(UntrustedNumber.text(range.lowerBound)) to \(UntrustedNumber.text(range.upperBound)), got \(UntrustedNumber.text(value))")
        }
    }

    /// Throws unless `value` is non-empty, at most `maxBytes` long and free of control characters.
    public static func text(_ value: String, maxBytes: Int, _ member: String) throws(PayloadProblem) {
        if let why = Identifiers.textProblem(value, maxBytes: maxBytes) { throw .member(member, why) }
    }

    /// Throws unless `value` is a non-empty string.
    public static func nonEmpty(_ value: String, _ member: String) throws(PayloadProblem) {
        if value.isEmpty { throw .member(member, "must not be empty") }
    }
}
