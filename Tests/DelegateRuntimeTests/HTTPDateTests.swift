import Foundation
import StatusServer
import Testing

/// The status socket's `Date` header, computed without `Calendar`, agrees with Foundation's formatter.
@Suite struct HTTPDateTests {
    @Test func theRFCExampleAndTheEdgesOfTheRange() {
        #expect(HTTPDate.string(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.string(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.string(epochSeconds: 253_402_300_799) == "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(HTTPDate.string(epochSeconds: -1) == nil)
        #expect(HTTPDate.string(epochSeconds: 253_402_300_800) == nil)
        #expect(HTTPDate.string(epochSeconds: .max) == nil)
    }

    @Test func agreesWithFoundationOnLeapDaysAndRandomSeconds() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        // 2000-02-29, 2100-03-01 (not a leap year), 2400-02-29, and 2,000 random seconds up to 2200.
        var seconds: [Int64] = [951_782_400, 4_107_542_400, 13_574_563_200]
        for _ in 0..<2000 { seconds.append(Int64.random(in: 0...7_258_118_400, using: &generator)) }
        for s in seconds {
            #expect(HTTPDate.string(epochSeconds: s) == f.string(from: Date(timeIntervalSince1970: TimeInterval(s))), "\(s)")
        }
    }
}
