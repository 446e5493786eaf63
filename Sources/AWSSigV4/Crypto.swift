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
                var len: UInt32 = 0
                _ = EVP_Digest(input.baseAddress, input.count, output.baseAddress, &len, md, nil)
            }
        }
        return out
    }

    /// The lowercase hex SHA-256 digest of `bytes`.
    public static func sha256Hex<Bytes: ContiguousBytes>(_ bytes: Bytes) -> String {
        hex(sha256(bytes))
    }

    /// The lowercase hex SHA-256 digest of the UTF-8 bytes of `string`.
    public static func sha256Hex(_ string: String) -> String {
        var s = string
        return s.withUTF8 { hex(sha256(UnsafeRawBufferPointer($0))) }
    }

    /// HMAC-SHA256 of `data` under `key` (RFC 2104 over OpenSSL's SHA-256; OpenSSL 3's
    /// one-shot `HMAC()` sets up a MAC context per call and is several times slower).
    public static func hmac<Key: ContiguousBytes, Message: ContiguousBytes>(key: Key, data: Message) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 64)
        key.withUnsafeBytes { k in
            if k.count > 64 {
                let digest = sha256(k)
                block.replaceSubrange(0..<32, with: digest)
            } else if k.count > 0 {
                block.withUnsafeMutableBytes { $0.copyMemory(from: k) }
            }
        }
        var ipad = block
        var opad = block
        for i in 0..<64 {
            ipad[i] ^= 0x36
            opad[i] ^= 0x5c
        }
        var inner = [UInt8](repeating: 0, count: 32)
        var out = [UInt8](repeating: 0, count: 32)
        guard let ctx = EVP_MD_CTX_new() else { return out }
        defer { EVP_MD_CTX_free(ctx) }
        var len: UInt32 = 0
        EVP_DigestInit_ex(ctx, md, nil)
        EVP_DigestUpdate(ctx, ipad, 64)
        data.withUnsafeBytes { d in _ = EVP_DigestUpdate(ctx, d.baseAddress, d.count) }
        EVP_DigestFinal_ex(ctx, &inner, &len)
        EVP_DigestInit_ex(ctx, md, nil)
        EVP_DigestUpdate(ctx, opad, 64)
        EVP_DigestUpdate(ctx, inner, 32)
        EVP_DigestFinal_ex(ctx, &out, &len)
        return out
    }

    /// HMAC-SHA256 of the UTF-8 bytes of `string` under `key`.
    public static func hmac(key: [UInt8], string: String) -> [UInt8] {
        var s = string
        return s.withUTF8 { hmac(key: key, data: UnsafeRawBufferPointer($0)) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var i = 0
            for b in bytes {
                buffer[i] = hexDigits[Int(b >> 4)]
                buffer[i + 1] = hexDigits[Int(b & 0x0f)]
                i += 2
            }
            return i
        }
    }
}
