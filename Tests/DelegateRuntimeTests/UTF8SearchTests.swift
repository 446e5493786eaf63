import DelegateRuntime
import Foundation
import Testing

/// The byte search used on every log line agrees with a plain scan, at every position and length.
@Suite struct UTF8SearchTests {
    @Test func agreesWithAScanOnRandomTexts() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("aab<+s.é")
        for _ in 0..<5000 {
            let h = String((0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let n = String((0..<Int.random(in: 1...4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let expected = Array(h.utf8).indices.contains { i in Array(h.utf8)[i...].starts(with: Array(n.utf8)) }
            #expect(UTF8Search.contains(h, n) == expected, "\(h) / \(n)")
        }
        #expect(UTF8Search.contains("abc", ""))
        #expect(!UTF8Search.contains("", "a"))
        #expect(UTF8Search.contains("token=s3cr3t-value", "s3cr3t-value"))
        #expect(!UTF8Search.contains("s3cr3t-valu", "s3cr3t-value"))
    }
}
