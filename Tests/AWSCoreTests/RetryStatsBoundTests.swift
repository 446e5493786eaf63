import AWSCore
import Testing

/// Retry counts by error code live as long as the delegate: the codes counted by name are bounded.
@Suite struct RetryStatsBoundTests {
    @Test func codesPastTheBoundAreCountedAsOther() {
        let stats = RetryStats()
        for i in 0..<(RetryStats.maxCodes + 100) { stats.recordRetry(code: "Code\(i)") }
        stats.recordRetry(code: "Code0")
        let byCode = stats.retriesByCode
        #expect(byCode.count == RetryStats.maxCodes + 1, "the first maxCodes codes, and other")
        #expect(byCode["other"] == 100)
        #expect(byCode["Code0"] == 2, "a code already counted keeps its name")
        #expect(stats.retries == RetryStats.maxCodes + 101, "every retry is counted")
    }
}
