#if canImport(Glibc)
import Glibc
#endif
import JSONValues

/// The HTTP `Date` header value (RFC 9110 IMF-fixdate), computed from epoch seconds by arithmetic alone.
///
/// Hummingbird's own date header goes through `Calendar`, which on Linux maps in
/// ICU and keeps about 4 MiB resident in a process that would otherwise never
/// touch it (docs/benchmarks.md, footprint); the status socket uses this instead.
package enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for `epochSeconds` (UTC, whole seconds; years 1970-9999, else nil).
    package static func string(epochSeconds: Int64) -> String? {
        guard (0...253_402_300_799).contains(epochSeconds) else { return nil }
        let c = CivilTime(epochSeconds: epochSeconds)
        return "\(weekdays[c.weekday]), \(two(c.day)) \(months[c.month - 1]) \(c.year) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
    }

    /// The header value for now, from the system's real-time clock.
    package static func now() -> String? {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return string(epochSeconds: Int64(ts.tv_sec))
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
