import COpenSSL

/// The HMAC-SHA256 key schedule of one key: SHA-256 states that have already absorbed
/// the inner and the outer pad, copied per message instead of hashing the pads again.
///
/// A SigV4 signature is an HMAC under a signing key that lives a day, so the signer keeps
/// this schedule beside the cached key and saves two of the SHA-256 compressions (and the
/// pad set-up) of every signature. The states are OpenSSL's plain `SHA256_CTX` values,
/// which copy as bytes; EVP contexts would need an allocation per copy.
public struct HMACKeySchedule: Sendable {
    /// SHA-256 after absorbing `key ^ ipad`.
    private let inner: SHA256_CTX
    /// SHA-256 after absorbing `key ^ opad`.
    private let outer: SHA256_CTX

    /// The schedule of `key` (RFC 2104: keys longer than the 64-byte block are hashed first).
    public init(key: UnsafeRawBufferPointer) {
        var ipad = [UInt8](repeating: 0, count: 64)
        if key.count > 64 {
            ipad.withUnsafeMutableBufferPointer { pad in
                SHA256Digest.digest(key, into: pad.baseAddress)
            }
        } else {
            for (i, byte) in key.enumerated() { ipad[i] = byte }
        }
        var opad = ipad
        for i in 0..<64 {
            ipad[i] ^= 0x36
            opad[i] ^= 0x5c
        }
        var i = SHA256_CTX()
        var o = SHA256_CTX()
        SHA256_Init(&i)
        SHA256_Update(&i, ipad, 64)
        SHA256_Init(&o)
        SHA256_Update(&o, opad, 64)
        inner = i
        outer = o
    }

    /// The schedule of `key`.
    public init(key: [UInt8]) {
        self = key.withUnsafeBytes { HMACKeySchedule(key: $0) }
    }

    /// HMAC-SHA256 of `data` into the 32 bytes at `out`.
    public func mac(_ data: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) {
        var i = inner
        var o = outer
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { innerDigest in
            guard let digest = innerDigest.baseAddress else { return }
            SHA256_Update(&i, data.baseAddress, data.count)
            SHA256_Final(digest, &i)
            SHA256_Update(&o, digest, 32)
            SHA256_Final(out, &o)
        }
    }

    /// HMAC-SHA256 of `data`.
    public func mac(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { d in
            out.withUnsafeMutableBufferPointer { o in
                guard let base = o.baseAddress else { return }
                mac(d, into: base)
            }
        }
        return out
    }
}
