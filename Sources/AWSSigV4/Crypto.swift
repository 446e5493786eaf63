import COpenSSL
import Digests
import Foundation

/// HMAC-SHA256 over OpenSSL's SHA-256 states (the digest itself is `SHA256Digest`'s).
public enum SigV4Crypto {
    /// Writes the SHA-256 digest of `bytes` into a 32-byte buffer.
    static func sha256(_ bytes: [UInt8], into out: UnsafeMutableBufferPointer<UInt8>) {
        bytes.withUnsafeBytes { input in SHA256Digest.digest(input, into: out.baseAddress) }
    }

    /// HMAC-SHA256 of `data` under `key` (RFC 2104 over OpenSSL's SHA-256 states; OpenSSL 3's
    /// one-shot `HMAC()` sets up a MAC context per call and is several times slower).
    public static func hmac<Key: ContiguousBytes, Message: ContiguousBytes>(key: Key, data: Message) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBufferPointer { o in
                    hmac(key: k, data: d, into: o)
                }
            }
        }
        return out
    }

    /// HMAC-SHA256 into a 32-byte buffer (through the key's schedule; callers that
    /// reuse a key keep an `HMACKeySchedule` instead).
    static func hmac(key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) {
        guard let base = out.baseAddress, out.count >= 32 else { return }
        HMACKeySchedule(key: key).mac(data, into: base)
    }

    /// HMAC-SHA256 of the UTF-8 bytes of `string` under `key`.
    public static func hmac(key: [UInt8], string: String) -> [UInt8] {
        var s = string
        return s.withUTF8 { hmac(key: key, data: UnsafeRawBufferPointer($0)) }
    }
}
