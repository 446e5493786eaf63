#if canImport(Glibc)
import Glibc
#endif

/// The HTTP `Date` header value (RFC 9110 IMF-fixdate), computed from epoch seconds by arithmetic alone.
///
/// Hummingbird's own date header goes through `Calendar`, which on Linux maps in
/// ICU and keeps about 4 MiB resident in a process that would otherwise never
/// touch it (docs/benchmarks.md, footprint); the status socket uses this instead.
package enum HTTPDate {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for `epochSeconds` (UTC, whole seconds; years 1970-9999, else nil).
    package static func string(epochSeconds: Int64) -> String? {
        guard (0...253_402_300_799).contains(epochSeconds) else { return nil }
        let days = epochSeconds / 86_400
        let secondOfDay = epochSeconds % 86_400
        let (year, month, day) = civil(daysSinceEpoch: days)
        let weekday = weekdays[Int(days % 7)]
        return "\(weekday), \(two(day)) \(months[month - 1]) \(year) \(two(Int(secondOfDay / 3600))):\(two(Int(secondOfDay / 60 % 60))):\(two(Int(secondOfDay % 60))) GMT"
    }

    /// The header value for now, from the system's real-time clock.
    package static func now() -> String? {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return string(epochSeconds: Int64(ts.tv_sec))
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(daysSinceEpoch: Int64) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
