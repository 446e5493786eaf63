import COpenSSL
import Foundation

/// SHA-256 and HMAC-SHA256 over OpenSSL's libcrypto, with lowercase hex encoding.
public enum SigV4Crypto {
    /// The SHA-256 digest of `bytes`.
    public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                digest(input, into: output.baseAddress)
            }
        }
        return out
    }

    /// SHA-256 of `input` into 32 bytes at `out` (OpenSSL's plain SHA-256: no EVP
    /// provider dispatch or context per call; nothing is written when `out` is `nil`).
    static func digest(_ input: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>?) {
        guard let out else { return }
        var ctx = SHA256_CTX()
        SHA256_Init(&ctx)
        SHA256_Update(&ctx, input.baseAddress, input.count)
        SHA256_Final(out, &ctx)
    }

    /// Writes the SHA-256 digest of `bytes` into a 32-byte buffer.
    static func sha256(_ bytes: [UInt8], into out: UnsafeMutableBufferPointer<UInt8>) {
        bytes.withUnsafeBytes { input in digest(input, into: out.baseAddress) }
    }

    /// The lowercase hex SHA-256 digest of `bytes`.
    public static func sha256Hex<Bytes: ContiguousBytes>(_ bytes: Bytes) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digestBuffer in
            bytes.withUnsafeBytes { digest($0, into: digestBuffer.baseAddress) }
            return hex(UnsafeBufferPointer(digestBuffer))
        }
    }

    /// The lowercase hex SHA-256 digest of the UTF-8 bytes of `string`.
    public static func sha256Hex(_ string: String) -> String {
        var s = string
        return s.withUTF8 { hex(sha256(UnsafeRawBufferPointer($0))) }
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

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { hex($0) }
    }

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var i = 0
            for b in bytes {
                let hi = b >> 4, lo = b & 0x0F
                buffer[i] = hi < 10 ? 0x30 + hi : 0x57 + hi
                buffer[i + 1] = lo < 10 ? 0x30 + lo : 0x57 + lo
                i += 2
            }
            return i
        }
    }
}
