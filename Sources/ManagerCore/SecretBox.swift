import COpenSSL
import Foundation

/// Seals and opens secret values with AES-256-GCM (OpenSSL): a fresh random 96-bit nonce per value, the secret's name as associated data.
///
/// Sealed form: version byte `1`, 12-byte nonce, ciphertext, 16-byte tag. A
/// value sealed under one name does not open under another, and any changed
/// byte (or a different key) is refused.
public struct SecretBox: Sendable {
    private let key: [UInt8]

    /// Why a value could not be sealed or opened.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The key is not 32 bytes.
        case badKey
        /// The sealed bytes were changed, or sealed under another key or name.
        case refused
        /// OpenSSL failed (no randomness, no memory).
        case openSSL(String)

        public var description: String {
            switch self {
            case .badKey: return "the secrets key must be 32 bytes"
            case .refused: return "the stored secret does not open with this key (wrong key, or the stored bytes were changed)"
            case .openSSL(let what): return "OpenSSL: \(what)"
            }
        }
    }

    private static let version: UInt8 = 1
    private static let nonceBytes = 12
    private static let tagBytes = 16

    /// A box with a 32-byte key.
    public init(key: [UInt8]) throws(Failure) {
        guard key.count == 32 else { throw .badKey }
        self.key = key
    }

    /// `value` sealed for the secret `name`.
    public func seal(_ value: String, name: String) throws(Failure) -> Data {
        var nonce = [UInt8](repeating: 0, count: Self.nonceBytes)
        guard RAND_bytes(&nonce, Int32(nonce.count)) == 1 else { throw .openSSL("RAND_bytes failed") }
        let plain = Array(value.utf8)
        let aad = Array(name.utf8)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .openSSL("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plain.count + 16)
        var tag = [UInt8](repeating: 0, count: Self.tagBytes)
        var n: Int32 = 0
        var total = 0
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(Self.nonceBytes), nil) == 1,
              EVP_EncryptInit_ex(ctx, nil, nil, key, nonce) == 1,
              aad.isEmpty || EVP_EncryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) == 1
        else { throw .openSSL("encryption setup failed") }
        if !plain.isEmpty {
            guard EVP_EncryptUpdate(ctx, &out, &n, plain, Int32(plain.count)) == 1 else { throw .openSSL("encryption failed") }
            total = Int(n)
        }
        let finished = out.withUnsafeMutableBufferPointer { buf in EVP_EncryptFinal_ex(ctx, buf.baseAddress.map { $0 + total }, &n) }
        guard finished == 1 else { throw .openSSL("encryption failed") }
        total += Int(n)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagBytes), &tag) == 1 else { throw .openSSL("no GCM tag") }
        return Data([Self.version] + nonce + out.prefix(total) + tag)
    }

    /// The value sealed for the secret `name`; refused when the bytes, the key or the name differ.
    public func open(_ sealed: Data, name: String) throws(Failure) -> String {
        let bytes = Array(sealed)
        guard bytes.count >= 1 + Self.nonceBytes + Self.tagBytes, bytes[0] == Self.version else { throw .refused }
        let nonce = Array(bytes[1..<(1 + Self.nonceBytes)])
        let cipher = Array(bytes[(1 + Self.nonceBytes)..<(bytes.count - Self.tagBytes)])
        var tag = Array(bytes[(bytes.count - Self.tagBytes)...])
        let aad = Array(name.utf8)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .openSSL("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: cipher.count + 16)
        var n: Int32 = 0
        var total = 0
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(Self.nonceBytes), nil) == 1,
              EVP_DecryptInit_ex(ctx, nil, nil, key, nonce) == 1,
              aad.isEmpty || EVP_DecryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) == 1
        else { throw .openSSL("decryption setup failed") }
        if !cipher.isEmpty {
            guard EVP_DecryptUpdate(ctx, &out, &n, cipher, Int32(cipher.count)) == 1 else { throw .refused }
            total = Int(n)
        }
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagBytes), &tag) == 1 else { throw .openSSL("cannot set GCM tag") }
        let verified = out.withUnsafeMutableBufferPointer { buf in EVP_DecryptFinal_ex(ctx, buf.baseAddress.map { $0 + total }, &n) }
        guard verified == 1 else { throw .refused }
        total += Int(n)
        guard let text = String(validating: out.prefix(total), as: UTF8.self) else { throw .refused }
        return text
    }
}
