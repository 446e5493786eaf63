import DelegateProtocol
import Digests
import Foundation
import HTTPClient
import TestSupport

/// How a test registry signs people in.
enum RegistryAuth {
    /// No auth at all.
    case none
    /// `auth.htpasswd` with these users (bcrypt entries made by `htpasswd -iBn`, the password on standard input).
    case htpasswd(users: [(user: String, password: String)])
    /// `auth.token` against a `TokenServer` the registry trusts.
    case token(TokenServer)
}

/// Debian's `docker-registry` (distribution 2.8) on a free loopback port, with a config file and storage of its own.
final class RegistryServer: @unchecked Sendable {
    let dir: Scratch
    let child: Child
    let port: Int
    /// `http://127.0.0.1:PORT`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the registry with `auth` and waits until `/v2/` answers; tries another port if the first one was taken.
    init(auth: RegistryAuth = .none) async throws {
        dir = try Scratch("registry")
        var authSection = ""
        switch auth {
        case .none:
            break
        case .htpasswd(let users):
            var lines = ""
            for u in users {
                // -i: the password on standard input, never on a command line.
                let (status, out, err) = try await runCommand("/usr/bin/htpasswd", ["-iBn", u.user], stdin: u.password)
                guard status == 0 else { throw HarnessError("htpasswd failed: \(err)") }
                lines += out.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
            }
            let file = try dir.write("htpasswd", lines)
            authSection = "auth:\n  htpasswd:\n    realm: test-registry\n    path: \(file)\n"
        case .token(let server):
            authSection = """
                auth:
                  token:
                    realm: \(server.url)/token
                    service: \(TokenServer.service)
                    issuer: \(TokenServer.issuer)
                    rootcertbundle: \(server.certificate)

                """
        }
        var lastError = "no attempt"
        for attempt in 0..<4 {
            let port = freeLoopbackPort()
            let config = try dir.write("config-\(attempt).yml", """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: \(dir.file("data"))
                http:
                  addr: 127.0.0.1:\(port)
                \(authSection)
                """)
            let child = try Child("/usr/bin/docker-registry", ["serve", config], dir: dir, name: "registry-\(attempt)")
            let http = HTTPClient()
            defer { http.shutdown() }
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline, child.isRunning {
                if let r = try? await http.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/", timeout: .seconds(2))),
                    r.header("Docker-Distribution-Api-Version") != nil
                {
                    self.port = port
                    self.child = child
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            child.signal(SIGKILL)
            lastError = "docker-registry did not answer on port \(port): \(child.stderr.suffix(500))"
        }
        throw HarnessError(lastError)
    }

    /// Stops the registry.
    func stop() async {
        child.signal(SIGTERM)
        if await child.wait(timeout: .seconds(5)) == nil { child.signal(SIGKILL) }
    }
}

/// A tiny token server (Python, `cryptography`) issuing RS256 JWTs the registry trusts, as Docker Hub's auth service does.
///
/// Every request needs basic credentials of one of `users`; each scope's
/// token requests are counted (`GET /count`), so tests can see the client's cache.
final class TokenServer: @unchecked Sendable {
    static let service = "test-registry"
    static let issuer = "test-token-issuer"
    let dir: Scratch
    let child: Child
    let port: Int
    /// The self-signed certificate the registry's `rootcertbundle` names.
    let certificate: String
    var url: String { "http://127.0.0.1:\(port)" }

    /// Makes an RSA key and self-signed certificate with `openssl`, then starts the server on a free port.
    init(users: [(user: String, password: String)]) async throws {
        dir = try Scratch("token-server")
        let key = dir.file("key.pem")
        certificate = dir.file("cert.pem")
        let (status, _, err) = try await runCommand("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=test-token-issuer"])
        guard status == 0 else { throw HarnessError("openssl failed: \(err)") }
        let script = try dir.write("token_server.py", Self.script)
        let usersArgument = users.map { "\($0.user):\($0.password)" }.joined(separator: "\n")
        let usersFile = try dir.write("users", usersArgument)
        let child = try Child("/usr/bin/env", ["python3", script, key, certificate, Self.issuer, usersFile], dir: dir, name: "token-server")
        self.child = child
        var port = 0
        try await eventually(timeout: .seconds(20), "token server port") {
            guard let p = Int(child.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                if !child.isRunning { throw HarnessError("token server exited: \(child.stderr)") }
                return false
            }
            port = p
            return true
        }
        self.port = port
    }

    /// How many tokens were issued per requested scope ("" for none).
    func counts() async throws -> [String: Int] {
        let http = HTTPClient()
        defer { http.shutdown() }
        let r = try await http.send(HTTPClientRequest(url: url + "/count"))
        return try JSONDecoder().decode([String: Int].self, from: r.body)
    }

    /// A token for `scope`, fetched as `user`.
    func token(scope: String, user: String, password: String) async throws -> String {
        let http = HTTPClient()
        defer { http.shutdown() }
        let basic = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        let r = try await http.send(HTTPClientRequest(url: url + "/token?service=\(Self.service)&scope=\(scope)", headers: [("Authorization", basic)]))
        guard r.status == 200, let token = try JSONValue(parsing: r.body)["token"]?.stringValue else { throw HarnessError("token server answered \(r.status)") }
        return token
    }

    /// Stops the server.
    func stop() {
        child.signal(SIGKILL)
    }

    /// The server: `GET /token?service=&scope=` with basic auth answers `{"token", "expires_in"}`; `GET /count` the counts.
    static let script = #"""
        import base64, json, sys, time, uuid
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlparse, parse_qs
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        key_path, cert_path, issuer, users_path = sys.argv[1:5]
        users = dict(line.split(":", 1) for line in open(users_path).read().splitlines() if line)
        key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
        cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
        x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        counts = {}

        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if url.path == "/count":
                    return self.answer(200, counts)
                auth = self.headers.get("Authorization", "")
                user, _, password = (base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else "").partition(":")
                if not user or users.get(user) != password:
                    return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials for the token service"}]},
                                       [("WWW-Authenticate", 'Basic realm="token"')])
                scopes = query.get("scope", [])
                counts[" ".join(scopes)] = counts.get(" ".join(scopes), 0) + 1
                access = []
                for scope in scopes:
                    kind, _, rest = scope.partition(":")
                    name, _, actions = rest.rpartition(":")
                    access.append({"type": kind, "name": name, "actions": actions.split(",")})
                now = int(time.time())
                claims = {"iss": issuer, "sub": user, "aud": query.get("service", [""])[0], "exp": now + 300,
                          "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
                header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
                signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
                signature = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
                token = signing + "." + b64(signature)
                self.answer(200, {"token": token, "access_token": token, "expires_in": 300})

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#
}

/// One image pushed by the test: its manifest's bytes and digest.
struct PushedManifest {
    let body: Data
    let digest: String
    let mediaType: String
}

/// Pushes blobs and manifests through the registry API (blob upload POST/PUT with digest, manifest PUT), as `docker push` does.
struct RegistryPusher {
    let registry: String
    let http: HTTPClient
    /// The `Authorization` header for pushing to a repository, if the registry wants one.
    let authorization: @Sendable (String) async throws -> String?

    /// Uploads `data` as a blob of `repository`; returns its digest.
    func blob(_ repository: String, _ data: Data) async throws -> String {
        let digest = "sha256:" + SHA256Digest.hex(data)
        let auth = try await authorization(repository)
        let headers: [(name: String, value: String)] = auth.map { [("Authorization", $0)] } ?? []
        let start = try await http.send(HTTPClientRequest(method: "POST", url: "\(registry)/v2/\(repository)/blobs/uploads/", headers: headers))
        guard start.status == 202, let location = start.header("Location") else { throw HarnessError("blob upload start answered \(start.status): \(String(decoding: start.body, as: UTF8.self))") }
        let target = (location.hasPrefix("/") ? registry + location : location) + (location.contains("?") ? "&" : "?") + "digest=\(digest)"
        let put = try await http.send(HTTPClientRequest(method: "PUT", url: target, headers: headers + [("Content-Type", "application/octet-stream")], body: data))
        guard put.status == 201 else { throw HarnessError("blob upload answered \(put.status): \(String(decoding: put.body, as: UTF8.self))") }
        return digest
    }

    /// PUTs `body` as manifest `reference` of `repository`.
    func manifest(_ repository: String, _ reference: String, _ body: Data, mediaType: String) async throws -> PushedManifest {
        var headers: [(name: String, value: String)] = [("Content-Type", mediaType)]
        if let auth = try await authorization(repository) { headers.append(("Authorization", auth)) }
        let r = try await http.send(HTTPClientRequest(method: "PUT", url: "\(registry)/v2/\(repository)/manifests/\(reference)", headers: headers, body: body))
        guard r.status == 201 else { throw HarnessError("manifest PUT answered \(r.status): \(String(decoding: r.body, as: UTF8.self))") }
        return PushedManifest(body: body, digest: "sha256:" + SHA256Digest.hex(body), mediaType: mediaType)
    }

    /// Pushes a one-layer image for `architecture` (config and layer blobs, then the manifest) under `tag`.
    func image(_ repository: String, tag: String, architecture: String = "amd64", variant: String? = nil, docker: Bool = false, salt: String = "") async throws -> PushedManifest {
        let config = Data(#"{"architecture":"\#(architecture)","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"salt":"\#(salt)"}"#.utf8)
        let layer = Data("layer of \(repository) \(architecture) \(variant ?? "") \(salt) \(UUID().uuidString)".utf8)
        let configDigest = try await blob(repository, config)
        let layerDigest = try await blob(repository, layer)
        let type = docker ? "application/vnd.docker.distribution.manifest.v2+json" : "application/vnd.oci.image.manifest.v1+json"
        let configType = docker ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json"
        let layerType = docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : "application/vnd.oci.image.layer.v1.tar+gzip"
        let body = Data("""
            {"schemaVersion": 2, "mediaType": "\(type)",
             "config": {"mediaType": "\(configType)", "digest": "\(configDigest)", "size": \(config.count)},
             "layers": [{"mediaType": "\(layerType)", "digest": "\(layerDigest)", "size": \(layer.count)}]}
            """.utf8)
        return try await manifest(repository, tag, body, mediaType: type)
    }

    /// Pushes an OCI index of `platforms` (each an image pushed first, by digest) under `tag`.
    func index(_ repository: String, tag: String, platforms: [(architecture: String, variant: String?)]) async throws -> (index: PushedManifest, images: [PushedManifest]) {
        var images: [PushedManifest] = []
        var entries: [String] = []
        for p in platforms {
            let image = try await image(repository, tag: "build-\(p.architecture)\(p.variant ?? "")", architecture: p.architecture, variant: p.variant)
            images.append(image)
            let variant = p.variant.map { #", "variant": "\#($0)""# } ?? ""
            entries.append(#"{"mediaType": "\#(image.mediaType)", "digest": "\#(image.digest)", "size": \#(image.body.count), "platform": {"architecture": "\#(p.architecture)", "os": "linux"\#(variant)}}"#)
        }
        let type = "application/vnd.oci.image.index.v1+json"
        let body = Data(#"{"schemaVersion": 2, "mediaType": "\#(type)", "manifests": [\#(entries.joined(separator: ", "))]}"#.utf8)
        return (try await manifest(repository, tag, body, mediaType: type), images)
    }
}

/// Runs a short command to completion with `stdin` on standard input; returns its status and output.
func runCommand(_ executable: String, _ args: [String], stdin: String = "") async throws -> (status: Int32, stdout: String, stderr: String) {
    try await onOwnThread { try runCommandBlocking(executable, args, stdin: stdin) }
}

/// `runCommand`'s work, which waits for the process: only on a thread of its own.
private func runCommandBlocking(_ executable: String, _ args: [String], stdin: String) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
