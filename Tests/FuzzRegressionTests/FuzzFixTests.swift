import Foundation
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

    @Test("XML that FoundationXML cannot take is refused or repaired before it gets there")
    func xmlThatStopsFoundationXML() throws {
        #expect(throws: AWSClientError.self) { try XMLTree.parse(Data("<?x?>".utf8)) }
        #expect(throws: AWSClientError.self) { try XMLTree.parse(Data("<?xml version=\"1.0\"?><Error><?pi?></Error>".utf8)) }
        let named = try XMLTree.parse(Data([0x3C, 0x61, 0xFF, 0x3E, 0x78, 0x3C, 0x2F, 0x61, 0xFF, 0x3E]))  // <a\xff>x</a\xff>
        #expect(named.name == "a\u{FFFD}" && named.text == "x")
        let error = AWSError.decode(service: "S3", operation: "GetObject", status: 404, headers: [], body: Data("<?x?>".utf8))
        #expect(error.code == "NotFound")
        let declared = try XMLTree.parse(Data("\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code></Error>".utf8))
        #expect(declared.string("Code") == "NoSuchKey")
    }
}
