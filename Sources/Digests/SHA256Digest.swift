import COpenSSL
import Foundation

/// SHA-256 over OpenSSL's libcrypto: the one digest every module uses (registry manifests, token hashes, step ids, cache keys, SigV4).
public enum SHA256Digest {
    /// The digest of `bytes`.
    public static func bytes<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                digest(input, into: output.baseAddress)
            }
        }
        return out
    }

    /// The lowercase hex digest of `bytes`.
    public static func hex<Bytes: ContiguousBytes>(_ bytes: Bytes) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digestBuffer in
            bytes.withUnsafeBytes { digest($0, into: digestBuffer.baseAddress) }
            return HexEncoding.lowercase(UnsafeBufferPointer(digestBuffer))
        }
    }

    /// The lowercase hex digest of the UTF-8 bytes of `string`.
    public static func hex(_ string: String) -> String {
        var s = string
        return s.withUTF8 { hex(UnsafeRawBufferPointer($0)) }
    }

    /// The digest of `input` into 32 bytes at `out` (OpenSSL's plain SHA-256: no EVP
    /// provider dispatch or context per call; nothing is written when `out` is `nil`).
    public static func digest(_ input: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>?) {
        guard let out else { return }
        var ctx = SHA256_CTX()
        SHA256_Init(&ctx)
        SHA256_Update(&ctx, input.baseAddress, input.count)
        SHA256_Final(out, &ctx)
    }
}

/// Lowercase hexadecimal text of bytes.
public enum HexEncoding {
    /// Lowercase hex of `bytes`.
    public static func lowercase(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { lowercase($0) }
    }

    /// Lowercase hex of `bytes`.
    public static func lowercase(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in write(bytes, into: buffer) }
    }

    /// Writes lowercase hex of `bytes` into `out` (at least twice as long); returns how many bytes were written. The one hex loop (SigV4's fast path writes through it too).
    @inlinable
    public static func write(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var i = 0
        for b in bytes where i + 1 < out.count {
            let hi = b >> 4, lo = b & 0x0F
            out[i] = hi < 10 ? 0x30 + hi : 0x57 + hi
            out[i + 1] = lo < 10 ? 0x30 + lo : 0x57 + lo
            i += 2
        }
        return i
    }
}
