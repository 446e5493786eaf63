import Digests
import Testing
import AWSSigV4

/// HMAC-SHA256 through a kept key schedule, against RFC 4231's test cases.
@Suite("HMACKeySchedule")
struct HMACKeyScheduleTests {
    /// Bytes of a hex string (test vectors only).
    func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }

    @Test func rfc4231Vectors() {
        // Case 1: a 20-byte key.
        let one = HMACKeySchedule(key: [UInt8](repeating: 0x0b, count: 20))
        #expect(HexEncoding.lowercase(one.mac(Array("Hi There".utf8))) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        // Case 2: a key shorter than the block.
        let two = HMACKeySchedule(key: Array("Jefe".utf8))
        #expect(HexEncoding.lowercase(two.mac(Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Case 6: a 131-byte key, hashed before the pads.
        let six = HMACKeySchedule(key: [UInt8](repeating: 0xaa, count: 131))
        #expect(HexEncoding.lowercase(six.mac(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        // The one-shot HMAC goes through the same schedule.
        #expect(SigV4Crypto.hmac(key: bytes("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), data: Array("Hi There".utf8)) == one.mac(Array("Hi There".utf8)))
    }

    @Test func oneScheduleSignsManyMessagesIndependently() {
        let schedule = HMACKeySchedule(key: Array("key".utf8))
        let first = schedule.mac(Array("The quick brown fox jumps over the lazy dog".utf8))
        let empty = schedule.mac([])
        let again = schedule.mac(Array("The quick brown fox jumps over the lazy dog".utf8))
        #expect(HexEncoding.lowercase(first) == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
        #expect(HexEncoding.lowercase(empty) == HexEncoding.lowercase(SigV4Crypto.hmac(key: Array("key".utf8), data: [UInt8]())))
        #expect(again == first)
        // A message longer than one block, fed after the saved pad state.
        let long = [UInt8](repeating: 0x61, count: 1000)
        #expect(schedule.mac(long) == SigV4Crypto.hmac(key: Array("key".utf8), data: long))
        #expect(schedule.mac(long) != first)
    }

    @Test func cachedScheduleMatchesTheCachedKey() {
        let cache = SigningKeyCache()
        let key = cache.key(secretAccessKey: "s", dateStamp: "20150830", region: "us-east-1", service: "ecs")
        let schedule = cache.schedule(secretAccessKey: "s", dateStamp: "20150830", region: "us-east-1", service: "ecs")
        #expect(cache.derivationCount == 1)
        #expect(schedule.mac(Array("string to sign".utf8)) == SigV4Crypto.hmac(key: key, string: "string to sign"))
    }
}
