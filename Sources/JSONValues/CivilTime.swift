/// UTC calendar fields of a time by arithmetic alone, for paths that must not touch `Calendar` (on Linux it maps in ICU).
///
/// Used by SigV4's `X-Amz-Date` (per signature) and the status socket's `Date` header (idle memory).
public struct CivilTime: Sendable, Equatable {
    public var year: Int
    /// 1-12.
    public var month: Int
    /// 1-31.
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// 0 (Sunday) to 6 (Saturday).
    public var weekday: Int

    /// The proleptic Gregorian UTC fields of `epochSeconds` (Howard Hinnant's days-to-civil algorithm; any Int64 up to ±2^62).
    public init(epochSeconds t: Int64) {
        let clamped = min(max(t, -(1 << 62)), 1 << 62)
        var days = clamped / 86_400
        var secs = clamped % 86_400
        if secs < 0 { secs += 86_400; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let m = mp < 10 ? mp + 3 : mp - 9
        year = Int(yoe + era * 400 + (m <= 2 ? 1 : 0))
        month = Int(m)
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        hour = Int(secs / 3600)
        minute = Int(secs % 3600 / 60)
        second = Int(secs % 60)
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4)
    }
}
