import Testing

import AWSCore

/// Fixes of what the fuzzers found in AWSCore and AWSSigV4, pinned by exact expectations.
@Suite struct FuzzFixTests {
    @Test("Retry-After of any size gives a delay within a day instead of trapping")
    func retryAfterIsClamped() {
        #expect(retryAfter([("Retry-After", "1e20")]) == .seconds(86_400))
        #expect(retryAfter([("retry-after", "inf")]) == .seconds(86_400))
        #expect(retryAfter([("Retry-After", "1.5")]) == .milliseconds(1500))
        #expect(retryAfter([("Retry-After", "nan")]) == nil)
        #expect(retryAfter([("Retry-After", "-3")]) == nil)
        #expect(retryAfter([("x-amz-retry-after", "9223372036854775807")]) == .seconds(86_400))
        #expect(retryAfter([("x-amz-retry-after", "250")]) == .milliseconds(250))
    }
}
