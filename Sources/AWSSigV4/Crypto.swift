import COpenSSL
import Foundation

/// SHA-256 and HMAC-SHA256 over OpenSSL's libcrypto, with lowercase hex encoding.
public enum SigV4Crypto {
    /// SHA-256 fetched once: OpenSSL 3 otherwise looks the algorithm up on every call.
    nonisolated(unsafe) private static let md: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()

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

    /// SHA-256 of `input` into 32 bytes at `out`, on a pooled digest context.
    static func digest(_ input: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>?) {
        var len: UInt32 = 0
        guard let ctx = DigestContextPool.shared.take() else {
            _ = EVP_Digest(input.baseAddress, input.count, out, &len, md, nil)
            return
        }
        EVP_DigestInit_ex(ctx, md, nil)
        EVP_DigestUpdate(ctx, input.baseAddress, input.count)
        EVP_DigestFinal_ex(ctx, out, &len)
        DigestContextPool.shared.give(ctx)
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

/// Reusable OpenSSL digest contexts: re-initialising a context for the same
/// algorithm keeps its provider state, where a new one allocates every time.
final class DigestContextPool: @unchecked Sendable {
    static let shared = DigestContextPool()

    private let lock = NSLock()
    private var free: [OpaquePointer] = []
    private let limit = 16

    /// A context (new when none is free), or `nil` when OpenSSL cannot allocate one.
    func take() -> OpaquePointer? {
        if let ctx = lock.withLock({ free.popLast() }) { return ctx }
        return EVP_MD_CTX_new()
    }

    /// Returns a context for reuse (freed when the pool is full).
    func give(_ ctx: OpaquePointer) {
        let kept: Bool = lock.withLock {
            guard free.count < limit else { return false }
            free.append(ctx)
            return true
        }
        if !kept { EVP_MD_CTX_free(ctx) }
    }
}
