import Digests
import Foundation

/// A request as the signer sees it.
public struct SigV4Request: Sendable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The path as sent on the wire (percent-encoded as the caller wants it sent).
    public var path: String
    /// The raw query string as sent, without `?` (empty for none).
    public var query: String
    /// The headers to sign; include `Host`.
    public var headers: [(name: String, value: String)]
    /// The hex SHA-256 of the body, or `SigV4.unsignedPayload`.
    public var payloadHash: String

    /// Creates a request whose payload hash is computed from `body`.
    public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)], body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = body.isEmpty ? SigV4.emptyPayloadHash : SHA256Digest.hex(body)
    }

    /// Creates a request with a precomputed payload hash (or `SigV4.unsignedPayload`).
    public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)], payloadHash: String) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }
}

/// How a service wants its requests signed.
public struct SigV4Options: Sendable, Equatable {
    /// Remove dot segments and repeated slashes from the path before signing.
    public var normalizePath: Bool
    /// Percent-encode the wire path again for the canonical URI (not for S3).
    public var encodePath: Bool
    /// Add and sign `x-amz-content-sha256` (S3 requires it).
    public var addContentSHA256Header: Bool
    /// Leave the session token out of the signature and add it afterwards (IoT-style services).
    public var omitSessionTokenFromSignature: Bool

    /// Creates options; the defaults suit every service but S3.
    public init(normalizePath: Bool = true, encodePath: Bool = true, addContentSHA256Header: Bool = false, omitSessionTokenFromSignature: Bool = false) {
        self.normalizePath = normalizePath
        self.encodePath = encodePath
        self.addContentSHA256Header = addContentSHA256Header
        self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
    }

    /// The defaults for JSON and Query services.
    public static let standard = SigV4Options()
    /// S3: the path is signed as sent (no normalization, no double encoding), with `x-amz-content-sha256`.
    public static let s3 = SigV4Options(normalizePath: false, encodePath: false, addContentSHA256Header: true)
}

/// The result of signing, with every intermediate stage.
public struct SigV4Signed: Sendable {
    /// The canonical request that was signed (UTF-8 bytes; see `canonicalRequest`).
    public var canonicalRequestBytes: [UInt8]
    /// The string to sign (UTF-8 bytes; see `stringToSign`).
    public var stringToSignBytes: [UInt8]
    /// The canonical request that was signed.
    public var canonicalRequest: String { String(decoding: canonicalRequestBytes, as: UTF8.self) }
    /// The string to sign.
    public var stringToSign: String { String(decoding: stringToSignBytes, as: UTF8.self) }
    /// The hex signature.
    public var signature: String
    /// The request's headers followed by the ones the signer added, in order.
    public var headers: [(name: String, value: String)]
    /// The final raw query string (with the signing parameters when presigned).
    public var query: String
}

/// Signs requests with one set of credentials for one region and service.
public struct SigV4Signer: Sendable {
    /// The credentials that sign.
    public var credentials: AWSCredentials
    /// The region of the credential scope, e.g. `us-east-1`.
    public var region: String
    /// The signing name of the service, e.g. `ecs`, `elasticloadbalancing`, `s3`.
    public var service: String
    /// Service-specific signing rules.
    public var options: SigV4Options

    /// Creates a signer.
    public init(credentials: AWSCredentials, region: String, service: String, options: SigV4Options = .standard) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options
    }

    /// The cached HMAC key schedule of the signing key for `dateStamp`.
    private func keySchedule(_ dateStamp: String) -> HMACKeySchedule {
        SigningKeyCache.shared.schedule(secretAccessKey: credentials.secretAccessKey, dateStamp: dateStamp, region: region, service: service)
    }

    /// Signs with the `Authorization` header, adding `X-Amz-Date`, the session
    /// token and (for S3) `x-amz-content-sha256`.
    public func signHeaders(_ request: SigV4Request, date: Date) -> SigV4Signed {
        let amzBytes = CanonicalBytes.amzDate(date)
        let amzDate = String(decoding: amzBytes, as: UTF8.self)
        let dateStamp = String(decoding: amzBytes[0..<8], as: UTF8.self)
        var added: [(name: String, value: String)] = []
        added.reserveCapacity(4)
        var extraSigned: [(name: String, value: String)] = []
        extraSigned.reserveCapacity(3)
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
            if !options.omitSessionTokenFromSignature { extraSigned.append(("X-Amz-Security-Token", token)) }
        }
        added.append(("X-Amz-Date", amzDate))
        extraSigned.append(("X-Amz-Date", amzDate))
        if options.addContentSHA256Header {
            added.append(("x-amz-content-sha256", request.payloadHash))
            extraSigned.append(("x-amz-content-sha256", request.payloadHash))
        }

        var cr: [UInt8] = []
        cr.reserveCapacity(512)
        CanonicalBytes.append(request.method, to: &cr)
        cr.append(CanonicalBytes.newline)
        if CanonicalBytes.isPlainPath(request.path) {
            CanonicalBytes.append(request.path, to: &cr)
        } else {
            CanonicalBytes.append(SigV4.canonicalURI(request.path, normalize: options.normalizePath, encode: options.encodePath), to: &cr)
        }
        cr.append(CanonicalBytes.newline)
        if !request.query.isEmpty { CanonicalBytes.append(SigV4.canonicalQuery(request.query), to: &cr) }
        cr.append(CanonicalBytes.newline)
        var signedBytes: [UInt8] = []
        signedBytes.reserveCapacity(64)
        CanonicalBytes.appendCanonicalHeaders(request.headers, extraSigned, to: &cr, signed: &signedBytes)
        cr.append(CanonicalBytes.newline)
        cr.append(contentsOf: signedBytes)
        cr.append(CanonicalBytes.newline)
        CanonicalBytes.append(request.payloadHash, to: &cr)

        // The scope, `yyyyMMdd/region/service/aws4_request`, as bytes.
        var scope: [UInt8] = []
        scope.reserveCapacity(64)
        scope.append(contentsOf: amzBytes[0..<8])
        scope.append(0x2F)
        CanonicalBytes.append(region, to: &scope)
        scope.append(0x2F)
        CanonicalBytes.append(service, to: &scope)
        CanonicalBytes.append("/aws4_request", to: &scope)

        var sts: [UInt8] = []
        sts.reserveCapacity(160)
        CanonicalBytes.append(SigV4.algorithm, to: &sts)
        sts.append(CanonicalBytes.newline)
        sts.append(contentsOf: amzBytes)
        sts.append(CanonicalBytes.newline)
        sts.append(contentsOf: scope)
        sts.append(CanonicalBytes.newline)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            SigV4Crypto.sha256(cr, into: digest)
            CanonicalBytes.appendHex(UnsafeBufferPointer(digest), to: &sts)
        }

        // `AWS4-HMAC-SHA256 Credential=<id>/<scope>, SignedHeaders=<list>, Signature=<hex>` in one buffer.
        var authorization: [UInt8] = []
        authorization.reserveCapacity(128 + credentials.accessKeyId.utf8.count + scope.count + signedBytes.count)
        CanonicalBytes.append(SigV4.algorithm, to: &authorization)
        CanonicalBytes.append(" Credential=", to: &authorization)
        CanonicalBytes.append(credentials.accessKeyId, to: &authorization)
        authorization.append(0x2F)
        authorization.append(contentsOf: scope)
        CanonicalBytes.append(", SignedHeaders=", to: &authorization)
        authorization.append(contentsOf: signedBytes)
        CanonicalBytes.append(", Signature=", to: &authorization)
        let signatureStart = authorization.count
        let schedule = keySchedule(dateStamp)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { mac in
            guard let macBase = mac.baseAddress else { return }
            sts.withUnsafeBytes { d in schedule.mac(d, into: macBase) }
            CanonicalBytes.appendHex(UnsafeBufferPointer(mac), to: &authorization)
        }
        let signature = String(decoding: authorization[signatureStart...], as: UTF8.self)
        added.append(("Authorization", String(decoding: authorization, as: UTF8.self)))
        return SigV4Signed(
            canonicalRequestBytes: cr, stringToSignBytes: sts,
            signature: signature, headers: Self.concat(request.headers, added), query: request.query)
    }

    private static func concat(_ a: [(name: String, value: String)], _ b: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        out.reserveCapacity(a.count + b.count)
        out.append(contentsOf: a)
        out.append(contentsOf: b)
        return out
    }

    /// Presigns with query parameters (`X-Amz-Algorithm` ... `X-Amz-Signature`),
    /// valid for `expires` seconds from `date`.
    public func presign(_ request: SigV4Request, date: Date, expires: Int) -> SigV4Signed {
        let amzDate = SigV4.amzDate(date)
        let dateStamp = String(amzDate.prefix(8))
        let scope = SigV4.credentialScope(dateStamp: dateStamp, region: region, service: service)
        let (canonicalHeaders, signedHeaders) = SigV4.canonicalHeaders(request.headers)
        var added: [(name: String, value: String)] = [
            ("X-Amz-Algorithm", SigV4.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope)"),
            ("X-Amz-Date", amzDate),
            ("X-Amz-SignedHeaders", signedHeaders),
            ("X-Amz-Expires", String(expires)),
        ]
        var signedParameters = SigV4.parseQuery(request.query) + added
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
            if !options.omitSessionTokenFromSignature { signedParameters.append(("X-Amz-Security-Token", token)) }
        }
        let canonicalRequest = SigV4.canonicalRequest(
            method: request.method,
            canonicalURI: SigV4.canonicalURI(request.path, normalize: options.normalizePath, encode: options.encodePath),
            canonicalQuery: SigV4.canonicalQuery(signedParameters),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders, payloadHash: request.payloadHash)
        let stringToSign = SigV4.stringToSign(canonicalRequest: canonicalRequest, amzDate: amzDate, credentialScope: scope)
        let signature = HexEncoding.lowercase(keySchedule(dateStamp).mac(Array(stringToSign.utf8)))
        added.append(("X-Amz-Signature", signature))
        let suffix = added.map { "\(SigV4.uriEncode($0.name))=\(SigV4.uriEncode($0.value))" }.joined(separator: "&")
        return SigV4Signed(
            canonicalRequestBytes: Array(canonicalRequest.utf8), stringToSignBytes: Array(stringToSign.utf8), signature: signature,
            headers: request.headers, query: request.query.isEmpty ? suffix : "\(request.query)&\(suffix)")
    }
}
