import DelegateProtocol
import Foundation
import Testing

@Suite struct SelectorTests {
    @Test func tagsMustIncludeEverySelector() {
        #expect(Selectors.satisfied(["a"], by: ["a", "b"]))
        #expect(Selectors.satisfied([], by: []))
        #expect(!Selectors.satisfied(["b"], by: ["a"]))
        #expect(Selectors.satisfied(["A"], by: ["a"]))
        #expect(Selectors.missing(["a", "c"], from: ["a", "b"]) == ["c"])
    }

    @Test func envelopeDefaultsAndMissingMember() throws {
        let ok = try ProtocolV1.decoder().decode(TaskEnvelope.self, from: Data(#"{"taskId":"t","leaseId":"l","type":"delegate.echo","extra":1}"#.utf8))
        #expect(ok.selectors == [] && ok.timeoutSeconds == 1800 && ok.payload == .emptyObject)
        do {
            _ = try ProtocolV1.decoder().decode(TaskEnvelope.self, from: Data(#"{"taskId":"t","type":"x"}"#.utf8))
            Issue.record("decoding should fail")
        } catch let e as DecodingError {
            #expect(describe(e).contains("leaseId"))
        }
    }

    @Test func logLineRoundTripsWithMilliseconds() throws {
        let line = LogLine(seq: 3, time: Date(timeIntervalSince1970: 1_700_000_000.125), level: "info", unit: "Deploy", text: "hé \"x\"")
        let data = try ProtocolV1.encoder().encode(line)
        #expect(String(decoding: data, as: UTF8.self).contains(#""time":"2023-11-14T22:13:20.125Z""#))
        let back = try ProtocolV1.decoder().decode(LogLine.self, from: data)
        #expect(back.seq == 3 && back.text == line.text)
        #expect(abs(back.time.timeIntervalSince1970 - 1_700_000_000.125) < 0.002)
    }
}
