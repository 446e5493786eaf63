import Digests
import Foundation
import JSONValues

/// AWS Signature Version 4: the canonical request, the string to sign, the
/// signature, and a signer that adds them to a request as headers or as a
/// presigned query string.
///
/// Every stage is a separate public function so that tests can compare each one
/// against reference vectors, and the signing date is always passed in.
public enum SigV4 {
    /// The signing algorithm name.
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The hex SHA-256 of an empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// The payload hash that tells S3 the body is not signed.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Header names never signed: they may be changed by proxies or the transport.
    public static let unsignedHeaderNames: Set<String> = ["authorization", "user-agent", "x-amzn-trace-id", "expect", "connection"]

    // MARK: dates

    /// The `X-Amz-Date` form of `date`: `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func amzDate(_ date: Date) -> String {
        let (y, mo, d, h, mi, s) = civil(date)
        return "\(pad4(y))\(pad2(mo))\(pad2(d))T\(pad2(h))\(pad2(mi))\(pad2(s))Z"
    }

    /// The credential-scope date of `date`: `yyyyMMdd` in UTC.
    public static func dateStamp(_ date: Date) -> String {
        let (y, mo, d, _, _, _) = civil(date)
        return "\(pad4(y))\(pad2(mo))\(pad2(d))"
    }

    private static func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    private static func pad4(_ v: Int) -> String {
        v >= 1000 ? "\(v)" : String(repeating: "0", count: 4 - "\(v)".count) + "\(v)"
    }

    /// UTC calendar fields of `date` (Howard Hinnant's days-to-civil algorithm).
    static func civilFields(_ date: Date) -> (Int, Int, Int, Int, Int, Int) { civil(date) }

    private static func civil(_ date: Date) -> (Int, Int, Int, Int, Int, Int) {
        let t = date.timeIntervalSince1970.rounded(.down)
        // A date from a caller may be NaN or beyond Int64: CivilTime clamps what it is given, so give it something it can take.
        let c = CivilTime(epochSeconds: t.isFinite ? Int64(max(-4e18, min(4e18, t))) : 0)
        return (c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    // MARK: encoding

    @inline(__always)
    static func isUnreserved(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            || c == 0x2D || c == 0x2E || c == 0x5F || c == 0x7E
    }

    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// RFC 3986 percent-encoding: every byte except `A-Z a-z 0-9 - . _ ~`
    /// (and `/` when `keepSlash`) becomes `%XX` with uppercase hex.
    public static func uriEncode(_ string: String, keepSlash: Bool = false) -> String {
        var s = string
        return s.withUTF8 { uriEncode(bytes: $0, keepSlash: keepSlash) }
    }

    static func uriEncode(bytes: UnsafeBufferPointer<UInt8>, keepSlash: Bool) -> String {
        var needs = false
        for c in bytes where !(isUnreserved(c) || (keepSlash && c == 0x2F)) {
            needs = true
            break
        }
        if !needs { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for c in bytes {
            if isUnreserved(c) || (keepSlash && c == 0x2F) {
                out.append(c)
            } else {
                out.append(0x25)
                out.append(upperHex[Int(c >> 4)])
                out.append(upperHex[Int(c & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; malformed escapes are kept literally, `+` is kept as `+`.
    public static func percentDecode(_ string: String) -> String {
        guard string.utf8.contains(0x25) else { return string }
        let bytes = Array(string.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x25, i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    // MARK: canonical request parts

    /// Removes `.` and `..` segments and empty segments (`//`), keeping a trailing slash.
    public static func normalizePath(_ path: String) -> String {
        if path.isEmpty { return "/" }
        var segments: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !segments.isEmpty { segments.removeLast() }
                continue
            }
            segments.append(part)
        }
        if segments.isEmpty { return "/" }
        var result = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/") { result += "/" }
        return result
    }

    /// The canonical URI of a request path.
    ///
    /// - Parameters:
    ///   - path: the path as sent on the wire (already percent-encoded by the caller).
    ///   - normalize: remove dot segments and repeated slashes first (every service but S3).
    ///   - encode: percent-encode the path again (every service but S3, which signs
    ///     the path as sent and must not double-encode).
    public static func canonicalURI(_ path: String, normalize: Bool, encode: Bool) -> String {
        var p = path.isEmpty ? "/" : path
        if normalize { p = normalizePath(p) }
        if encode { p = uriEncode(p, keepSlash: true) }
        return p
    }

    /// Splits a raw query string (`a=1&b=2`, without `?`) into decoded name/value pairs.
    public static func parseQuery(_ query: String) -> [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        var result: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                result.append((percentDecode(String(part[..<eq])), percentDecode(String(part[part.index(after: eq)...]))))
            } else {
                result.append((percentDecode(String(part)), ""))
            }
        }
        return result
    }

    /// The canonical query string of decoded name/value pairs: each encoded per
    /// RFC 3986, sorted by name then value, joined with `&`.
    public static func canonicalQuery(_ parameters: [(name: String, value: String)]) -> String {
        if parameters.isEmpty { return "" }
        let encoded = parameters.map { (uriEncode($0.name), uriEncode($0.value)) }
        let sorted = encoded.sorted { a, b in
            if a.0 != b.0 { return a.0.utf8.lexicographicallyPrecedes(b.0.utf8) }
            return a.1.utf8.lexicographicallyPrecedes(b.1.utf8)
        }
        var out = ""
        for (i, p) in sorted.enumerated() {
            if i > 0 { out += "&" }
            out += p.0
            out += "="
            out += p.1
        }
        return out
    }

    /// The canonical query string of a raw query string (without `?`).
    public static func canonicalQuery(_ rawQuery: String) -> String {
        canonicalQuery(parseQuery(rawQuery))
    }

    /// Trims a header value and folds each run of whitespace (including line breaks) to one space.
    public static func canonicalHeaderValue(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for c in value.utf8 {
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical headers block (each `name:value\n`, names lowercased and
    /// sorted, repeated headers joined by `,` in order) and the signed-headers list.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signed: String) {
        var canonical: [UInt8] = []
        var signed: [UInt8] = []
        CanonicalBytes.appendCanonicalHeaders(headers, [], to: &canonical, signed: &signed)
        return (String(decoding: canonical, as: UTF8.self), String(decoding: signed, as: UTF8.self))
    }

    /// ASCII lowercasing (header names are ASCII), cheaper than `lowercased()`.
    static func lowercaseASCII(_ s: String) -> String {
        var hasUpper = false
        for c in s.utf8 where c >= 0x41 && c <= 0x5A {
            hasUpper = true
            break
        }
        if !hasUpper { return s }
        return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// The canonical request: method, URI, query, headers, signed headers, payload hash.
    public static func canonicalRequest(
        method: String, canonicalURI: String, canonicalQuery: String,
        canonicalHeaders: String, signedHeaders: String, payloadHash: String
    ) -> String {
        "\(method)\n\(canonicalURI)\n\(canonicalQuery)\n\(canonicalHeaders)\n\(signedHeaders)\n\(payloadHash)"
    }

    /// The credential scope `yyyyMMdd/region/service/aws4_request`.
    public static func credentialScope(dateStamp: String, region: String, service: String) -> String {
        "\(dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// The string to sign for a canonical request.
    public static func stringToSign(canonicalRequest: String, amzDate: String, credentialScope: String) -> String {
        "\(algorithm)\n\(amzDate)\n\(credentialScope)\n\(SHA256Digest.hex(canonicalRequest))"
    }

    /// Derives the signing key (uncached): HMAC chain over date, region, service, `aws4_request`.
    public static func deriveSigningKey(secretAccessKey: String, dateStamp: String, region: String, service: String) -> [UInt8] {
        let kDate = SigV4Crypto.hmac(key: Array("AWS4\(secretAccessKey)".utf8), string: dateStamp)
        let kRegion = SigV4Crypto.hmac(key: kDate, string: region)
        let kService = SigV4Crypto.hmac(key: kRegion, string: service)
        return SigV4Crypto.hmac(key: kService, string: "aws4_request")
    }

}

/// A thread-safe cache of derived signing keys, per secret, day, region and service,
/// each kept with its HMAC key schedule so signatures skip the pad hashing.
public final class SigningKeyCache: @unchecked Sendable {
    /// The cache the signer uses.
    public static let shared = SigningKeyCache()

    private struct Key: Hashable {
        var secret: String
        var dateStamp: String
        var region: String
        var service: String
    }

    /// A derived key and its schedule.
    private struct Entry {
        var bytes: [UInt8]
        var schedule: HMACKeySchedule
    }

    private let lock = NSLock()
    private var keys: [Key: Entry] = [:]
    private let capacity: Int
    private var derivations = 0
    private var last: (Key, Entry)?

    /// Creates a cache holding at most `capacity` keys (it is emptied when full).
    public init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// How many keys were derived (cache misses) so far.
    public var derivationCount: Int { lock.withLock { derivations } }

    /// The signing key, derived once per secret, day, region and service.
    public func key(secretAccessKey: String, dateStamp: String, region: String, service: String) -> [UInt8] {
        entry(secretAccessKey: secretAccessKey, dateStamp: dateStamp, region: region, service: service).bytes
    }

    /// The HMAC key schedule of the signing key, derived once per secret, day, region and service.
    public func schedule(secretAccessKey: String, dateStamp: String, region: String, service: String) -> HMACKeySchedule {
        entry(secretAccessKey: secretAccessKey, dateStamp: dateStamp, region: region, service: service).schedule
    }

    /// The cached entry, derived on a miss.
    private func entry(secretAccessKey: String, dateStamp: String, region: String, service: String) -> Entry {
        let k = Key(secret: secretAccessKey, dateStamp: dateStamp, region: region, service: service)
        let hit: Entry? = lock.withLock {
            // Most signers use one key over and over: compare before hashing.
            if let last, last.0 == k { return last.1 }
            if let found = keys[k] {
                last = (k, found)
                return found
            }
            return nil
        }
        if let hit { return hit }
        let derived = SigV4.deriveSigningKey(secretAccessKey: secretAccessKey, dateStamp: dateStamp, region: region, service: service)
        let made = Entry(bytes: derived, schedule: HMACKeySchedule(key: derived))
        lock.withLock {
            if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
            keys[k] = made
            last = (k, made)
            derivations += 1
        }
        return made
    }
}
