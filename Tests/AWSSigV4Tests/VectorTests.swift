import Foundation
import Testing
import AWSSigV4

/// One folder of the AWS signing test suite layout.
struct VectorCase: Sendable, CustomTestStringConvertible {
    let name: String
    let directory: URL

    var testDescription: String { name }

    /// The bundled vectors plus every folder under `SIGV4_VECTORS` when set.
    static func all() -> [VectorCase] {
        var roots: [URL] = []
        if let bundled = Bundle.module.url(forResource: "Vectors", withExtension: nil) { roots.append(bundled) }
        if let extra = ProcessInfo.processInfo.environment["SIGV4_VECTORS"], !extra.isEmpty {
            roots.append(URL(fileURLWithPath: extra))
        }
        var cases: [VectorCase] = []
        for root in roots {
            let fm = FileManager.default
            // The root itself may be a single vector folder.
            if fm.fileExists(atPath: root.appendingPathComponent("context.json").path) {
                cases.append(VectorCase(name: root.lastPathComponent, directory: root))
                continue
            }
            let entries = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
            for entry in entries.sorted() {
                let dir = root.appendingPathComponent(entry)
                if fm.fileExists(atPath: dir.appendingPathComponent("context.json").path) {
                    cases.append(VectorCase(name: root == roots.first ? entry : "\(root.lastPathComponent)/\(entry)", directory: dir))
                }
            }
        }
        return cases
    }

    func read(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }
}

/// The parts of `context.json` the signer needs.
struct VectorContext: Decodable {
    struct Credentials: Decodable {
        var access_key_id: String
        var secret_access_key: String
        var token: String?
    }

    var credentials: Credentials
    var expiration_in_seconds: Int?
    var normalize: Bool?
    var region: String
    var service: String
    var sign_body: Bool?
    var timestamp: String
    var omit_session_token: Bool?
}

/// A raw HTTP request as written in `request.txt`.
struct RawRequest {
    var method: String
    var path: String
    var query: String
    var headers: [(name: String, value: String)]
    var body: String

    init(parsing text: String) throws {
        let head: Substring
        if let range = text.range(of: "\n\n") {
            head = text[..<range.lowerBound]
            body = String(text[range.upperBound...])
        } else {
            head = Substring(text.hasSuffix("\n") ? String(text.dropLast()) : text)
            body = ""
        }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines.removeFirst()
        guard let space = requestLine.firstIndex(of: " "), let proto = requestLine.range(of: " HTTP/", options: .backwards) else {
            throw VectorError.malformed("request line \(requestLine)")
        }
        method = String(requestLine[..<space])
        let target = String(requestLine[requestLine.index(after: space)..<proto.lowerBound])
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            path = target
            query = ""
        }
        headers = []
        for line in lines {
            if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
    }

    func render(path: String, query: String, headers: [(name: String, value: String)]) -> String {
        let target = query.isEmpty ? path : "\(path)?\(query)"
        return "\(method) \(target) HTTP/1.1\n" + headers.map { "\($0.name):\($0.value)" }.joined(separator: "\n") + "\n\n" + body
    }
}

enum VectorError: Error {
    case malformed(String)
}

@Suite("SigV4 reference vectors")
struct VectorTests {
    @Test func bundledVectorsArePresent() {
        #expect(VectorCase.all().count >= 38)
    }

    func load(_ vector: VectorCase) throws -> (VectorContext, RawRequest, SigV4Signer, SigV4Request, Date) {
        let context = try JSONDecoder().decode(VectorContext.self, from: Data(try vector.read("context.json").utf8))
        let raw = try RawRequest(parsing: try vector.read("request.txt"))
        let credentials = AWSCredentials(
            accessKeyId: context.credentials.access_key_id, secretAccessKey: context.credentials.secret_access_key,
            sessionToken: context.credentials.token)
        let options = SigV4Options(
            normalizePath: context.normalize ?? true, encodePath: true,
            addContentSHA256Header: context.sign_body ?? false,
            omitSessionTokenFromSignature: context.omit_session_token ?? false)
        let signer = SigV4Signer(credentials: credentials, region: context.region, service: context.service, options: options)
        let request = SigV4Request(method: raw.method, path: raw.path, query: raw.query, headers: raw.headers, body: Data(raw.body.utf8))
        guard let date = ISO8601DateFormatter().date(from: context.timestamp) else {
            throw VectorError.malformed("timestamp \(context.timestamp)")
        }
        return (context, raw, signer, request, date)
    }

    @Test("header signing, every stage", arguments: VectorCase.all())
    func headerSigning(_ vector: VectorCase) throws {
        let (_, raw, signer, request, date) = try load(vector)
        let signed = signer.signHeaders(request, date: date)
        #expect(signed.canonicalRequest == (try vector.read("header-canonical-request.txt")), "canonical request")
        #expect(signed.stringToSign == (try vector.read("header-string-to-sign.txt")), "string to sign")
        #expect(signed.signature == (try vector.read("header-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines), "signature")
        let rendered = raw.render(path: raw.path, query: signed.query, headers: signed.headers)
        #expect(rendered == (try vector.read("header-signed-request.txt")), "signed request")
    }

    @Test("query signing, every stage", arguments: VectorCase.all())
    func querySigning(_ vector: VectorCase) throws {
        let (context, raw, signer, request, date) = try load(vector)
        let signed = signer.presign(request, date: date, expires: context.expiration_in_seconds ?? 3600)
        #expect(signed.canonicalRequest == (try vector.read("query-canonical-request.txt")), "canonical request")
        #expect(signed.stringToSign == (try vector.read("query-string-to-sign.txt")), "string to sign")
        #expect(signed.signature == (try vector.read("query-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines), "signature")
        let rendered = raw.render(path: raw.path, query: signed.query, headers: signed.headers)
        #expect(rendered == (try vector.read("query-signed-request.txt")), "signed request")
    }
}
