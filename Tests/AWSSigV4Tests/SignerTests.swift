import Digests
import Foundation
import Testing
import AWSSigV4

@Suite("SigV4 signer details")
struct SignerTests {
    let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    @Test func dates() {
        #expect(SigV4.amzDate(date) == "20150830T123600Z")
        #expect(SigV4.dateStamp(date) == "20150830")
        #expect(SigV4.amzDate(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(SigV4.amzDate(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
    }

    @Test func datesOutsideAnyCalendarDoNotTrap() {
        #expect(SigV4.amzDate(Date(timeIntervalSince1970: .nan)) == "19700101T000000Z")
        #expect(SigV4.amzDate(Date(timeIntervalSince1970: .infinity)) == "19700101T000000Z")
        #expect(SigV4.dateStamp(Date(timeIntervalSince1970: 1e300)).count >= 8)
    }

    @Test func s3SignsThePathAsSent() {
        let path = "/bucket/key%20with%20space/%E2%9C%93"
        #expect(SigV4.canonicalURI(path, normalize: false, encode: false) == path)
        // Other services encode the wire path again.
        #expect(SigV4.canonicalURI(path, normalize: true, encode: true) == "/bucket/key%2520with%2520space/%25E2%259C%2593")
        // S3 keys may contain dot segments and repeated slashes that must be kept.
        #expect(SigV4.canonicalURI("/b/a/../c//d", normalize: false, encode: false) == "/b/a/../c//d")
    }

    @Test func s3AddsContentSHA256AndUnsignedPayload() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3", options: .s3)
        let request = SigV4Request(method: "GET", path: "/bucket/key", headers: [("Host", "s3.amazonaws.com")], payloadHash: SigV4.unsignedPayload)
        let signed = signer.signHeaders(request, date: date)
        #expect(signed.headers.contains { $0.name == "x-amz-content-sha256" && $0.value == "UNSIGNED-PAYLOAD" })
        #expect(signed.canonicalRequest.hasSuffix("\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"))
    }

    @Test func canonicalQuerySortsAndEncodes() {
        #expect(SigV4.canonicalQuery("b=2&a=x%20y&a=1&c") == "a=1&a=x%20y&b=2&c=")
        #expect(SigV4.canonicalQuery([("Action", "DescribeRules"), ("RuleArns.member.1", "arn:aws:x/y z")])
            == "Action=DescribeRules&RuleArns.member.1=arn%3Aaws%3Ax%2Fy%20z")
        #expect(SigV4.uriEncode("a+b=c&d/é") == "a%2Bb%3Dc%26d%2F%C3%A9")
    }

    @Test func headerValuesAreTrimmedAndFolded() {
        let (canonical, signed) = SigV4.canonicalHeaders([
            ("X-B", "  two   words "), ("Host", "h"), ("x-b", "second"), ("User-Agent", "never signed"),
        ])
        #expect(canonical == "host:h\nx-b:two words,second\n")
        #expect(signed == "host;x-b")
    }

    @Test func signingKeysAreCachedPerDayRegionService() {
        let cache = SigningKeyCache()
        let a = cache.key(secretAccessKey: "s", dateStamp: "20150830", region: "us-east-1", service: "ecs")
        let b = cache.key(secretAccessKey: "s", dateStamp: "20150830", region: "us-east-1", service: "ecs")
        _ = cache.key(secretAccessKey: "s", dateStamp: "20150831", region: "us-east-1", service: "ecs")
        #expect(a == b)
        #expect(cache.derivationCount == 2)
        // The documented example from the SigV4 guide.
        let key = SigV4.deriveSigningKey(secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", dateStamp: "20150830", region: "us-east-1", service: "iam")
        #expect(HexEncoding.lowercase(key) == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
    }

    @Test func concurrentSigningAgrees() async {
        let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "ecs")
        let request = SigV4Request(method: "POST", path: "/", headers: [("Host", "ecs.eu-west-1.amazonaws.com")], body: Data("{}".utf8))
        let expected = signer.signHeaders(request, date: date).signature
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { signer.signHeaders(request, date: date).signature } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 == expected })
    }

    @Test func descriptionsNeverShowSecrets() {
        let c = AWSCredentials(accessKeyId: "ASIAEXAMPLE", secretAccessKey: "topsecretkey", sessionToken: "tokentokentoken")
        let text = "\(c) \(String(reflecting: c))"
        #expect(!text.contains("topsecretkey"))
        #expect(!text.contains("tokentokentoken"))
        #expect(text.contains("ASIAEXAMPLE"))
    }
}
