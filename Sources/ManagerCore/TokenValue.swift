import COpenSSL
import Digests

/// Token values: made from 32 random bytes, stored and looked up only as their SHA-256.
public enum TokenValue {
    /// The prefix every token the manager makes starts with, so a leaked one is recognisable in a scan.
    public static let prefix = "ecsm_"
    /// The longest bearer token read from a request; a longer one is refused before hashing.
    package static let maxBytes = 4096

    /// A fresh token: the prefix and 64 hex characters from OpenSSL's random generator.
    package static func make() throws -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { throw APIError(.internalServerError, "internal", "the random generator failed; no token was made") }
        return prefix + bytes.map { hexDigits[Int($0 >> 4)] + hexDigits[Int($0 & 0x0f)] }.joined()
    }

    /// The lowercase hex SHA-256 of `token`: the only form of it the repository sees.
    public static func hash(_ token: String) -> String { SHA256Digest.hex(Array(token.utf8)) }

    /// The hex digits, by value.
    private static let hexDigits = "0123456789abcdef".map(String.init)
}
