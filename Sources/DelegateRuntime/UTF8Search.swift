#if canImport(Glibc)
import Glibc
#endif

/// Substring search on UTF-8 bytes (`memchr` and `memcmp`), for the per-line paths.
///
/// Foundation's `String.contains(_:)` on Linux goes through `CFStringFind` and
/// copies into UTF-16: with the delegate token among the secrets to mask, it was
/// the largest cost of a log line (docs/benchmarks.md, 1,000,000 lines).
package enum UTF8Search {
    /// Whether `needle` occurs in `haystack`, byte for byte (an empty needle always does).
    package static func contains(_ haystack: String, _ needle: String) -> Bool {
        if needle.isEmpty { return true }
        var h = haystack
        var n = needle
        return h.withUTF8 { hb in
            n.withUTF8 { nb in
                guard let hp = hb.baseAddress, let np = nb.baseAddress, hb.count >= nb.count else { return false }
                // memchr for the first byte, memcmp for the rest (memmem is a GNU extension Glibc's module does not export).
                let last = hb.count - nb.count
                var i = 0
                while i <= last {
                    guard let found = memchr(hp + i, Int32(np[0]), last - i + 1) else { return false }
                    let at = UnsafeRawPointer(hp).distance(to: UnsafeRawPointer(found))
                    if memcmp(hp + at, np, nb.count) == 0 { return true }
                    i = at + 1
                }
                return false
            }
        }
    }
}
