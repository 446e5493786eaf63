import AWSCore
import Foundation

/// ECS timestamps arrive as epoch seconds (JSON protocol) or ISO strings.
func awsDate(_ v: JSONValue?) -> Date? {
    // Epoch seconds from an AWS answer: anything outside years 1970-5000 is not a time ECS sends.
    if let d = v?.doubleValue { return d.isFinite && (0...95_617_584_000).contains(d) ? Date(timeIntervalSince1970: d) : nil }
    if let s = v?.stringValue { return ISO8601DateFormatter().date(from: s) }
    return nil
}

/// `2022-10-06 23:03:45.606`, UTC, as the tutorial shows AWS events.
func eventTime(_ d: Date) -> String {
    let ms = UntrustedNumber.integer((d.timeIntervalSince1970 * 1000).rounded()).map { Int(($0 % 1000 + 1000) % 1000) } ?? 0
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC") ?? .current
    let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
    return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%03d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0, ms)
}
