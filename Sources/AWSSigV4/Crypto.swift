import COpenSSL
import Foundation

/// SHA-256 and HMAC-SHA256 over OpenSSL's libcrypto, with lowercase hex encoding.
public enum SigV4Crypto {
    /// The SHA-256 digest of `bytes`.
    public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                var len: UInt32 = 0
                _ = EVP_Digest(input.baseAddress, input.count, output.baseAddress, &len, EVP_sha256(), nil)
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

    /// HMAC-SHA256 of `data` under `key`.
    public static func hmac<Key: ContiguousBytes, Message: ContiguousBytes>(key: Key, data: Message) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBufferPointer { o in
                    var len: UInt32 = 0
                    _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, o.baseAddress, &len)
                }
            }
        }
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
