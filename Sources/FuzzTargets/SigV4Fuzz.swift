import AWSCore
import AWSSigV4
import Digests
import Foundation

/// Signs one arbitrary request: byte 0 holds option bits, then `METHOD`, path, query and `Name: value` header lines up to a blank line, then the body.
///
/// Bits of byte 0: 1 S3 rules (no normalization or double encoding, signed
/// payload header), 2 a session token, 4 the token left out of the signature,
/// 8 an unsigned payload. A `Date` header moves the signing clock as a
/// clock-skew answer would. The header signature's canonical request must
/// equal the one the public stage functions build, the signature must be 64
/// lowercase hex digits, and presigning must work on the same request.
public func fuzzSigV4(_ bytes: [UInt8]) {
    guard let flags = bytes.first else { return }
    let request = FuzzHTTPRequest(bytes.dropFirst())
    let options = flags & 1 != 0 ? SigV4Options.s3 : SigV4Options(omitSessionTokenFromSignature: flags & 4 != 0)
    let credentials = AWSCredentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: flags & 2 != 0 ? "session-token" : nil)
    let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: flags & 1 != 0 ? "s3" : "ecs", options: options)
    let payloadHash = flags & 8 != 0 ? SigV4.unsignedPayload : SHA256Digest.hex(request.body)
    let sigRequest = SigV4Request(method: request.method, path: request.path, query: request.query, headers: request.headers, payloadHash: payloadHash)

    var date = Date(timeIntervalSince1970: 1_440_938_160)
    let skew = ClockSkew()
    if skew.adjust(serverDate: request.headers.first { $0.name.lowercased() == "date" }?.value, now: date) {
        date = skew.correct(date)
    }
    let signed = signer.signHeaders(sigRequest, date: date)
    fuzzCheck(signed.signature.utf8.count == 64 && signed.signature.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) },
        "signature \(signed.signature)")

    // The same canonical request from the stage functions the tests check against AWS's vectors.
    let added = signed.headers.dropFirst(request.headers.count).filter { $0.name != "Authorization" && (!options.omitSessionTokenFromSignature || $0.name != "X-Amz-Security-Token") }
    let (canonicalHeaders, signedHeaders) = SigV4.canonicalHeaders(request.headers + added)
    let reference = SigV4.canonicalRequest(
        method: request.method, canonicalURI: SigV4.canonicalURI(request.path, normalize: options.normalizePath, encode: options.encodePath),
        canonicalQuery: SigV4.canonicalQuery(request.query), canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders,
        payloadHash: payloadHash)
    fuzzCheck(signed.canonicalRequestBytes == Array(reference.utf8), "the fast canonical request differs:\n\(signed.canonicalRequest)\n--- stage functions:\n\(reference)")

    let presigned = signer.presign(sigRequest, date: date, expires: 900)
    fuzzCheck(presigned.signature.utf8.count == 64, "presigned signature \(presigned.signature)")
    _ = SigV4.parseQuery(presigned.query)
}

/// A request as the SigV4 target reads its input: method, path and query lines, header lines (a line starting with a space or tab continues the previous value), a blank line, the body.
struct FuzzHTTPRequest {
    /// The first line.
    var method = "GET"
    /// The second line, as sent on the wire.
    var path = "/"
    /// The third line, without `?`.
    var query = ""
    /// The lines after the third, split at the first colon.
    var headers: [(name: String, value: String)] = []
    /// Everything after the first blank line.
    var body = Data()

    /// Reads the lines of `bytes` up to the first blank line; what follows is the body.
    init(_ bytes: ArraySlice<UInt8>) {
        let separator: [UInt8] = [0x0A, 0x0A]
        let headEnd = bytes.firstRange(of: separator)
        if let headEnd { body = Data(bytes[headEnd.upperBound...]) }
        let lines = text(bytes[..<(headEnd?.lowerBound ?? bytes.endIndex)]).split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            switch i {
            case 0: method = String(line)
            case 1: path = String(line)
            case 2: query = String(line)
            default:
                if line.first == " " || line.first == "\t", let last = headers.indices.last {
                    headers[last].value += "\n" + line
                } else if let colon = line.firstIndex(of: ":") {
                    headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
                } else {
                    headers.append((String(line), ""))
                }
            }
        }
    }
}
