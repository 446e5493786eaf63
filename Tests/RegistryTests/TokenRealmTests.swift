import DelegateProtocol
import Foundation
import HTTPClient
import HTTPTypes
import Hummingbird
import Synchronization
import TestSupport
import Testing

import Registry

/// Where a registry's login may go (issue 21): token realms are input from the registry's operator.
@Suite(.timeLimit(.minutes(3))) struct TokenRealmTests {
    let http = HTTPClient()

    /// What a token server heard: the Authorization header of each request ("none" without one).
    final class Recorder: Sendable {
        let seen = Mutex<[String]>([])
        var authorizations: [String] { seen.withLock { $0 } }
    }

    /// A loopback token server that records each request's Authorization header and answers a usable token.
    func tokenServer(_ recorder: Recorder) async throws -> LoopbackServer {
        try await LoopbackServer.start { router in
            router.get("**") { request, _ -> Response in
                recorder.seen.withLock { $0.append(request.headers[.authorization] ?? "none") }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"token": "tok-123"}"#)))
            }
        }
    }

    /// A loopback registry that asks for a bearer token from `realm` and accepts `Bearer tok-123`.
    func registry(realm: String) async throws -> LoopbackServer {
        try await LoopbackServer.start { router in
            router.get("**") { request, _ -> Response in
                if request.headers[.authorization] == "Bearer tok-123" {
                    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
                }
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: #"Bearer realm="\#(realm)",service="s""#])
            }
        }
    }

    func client(_ url: String, login: Bool = true, tokenHosts: [String] = []) throws -> RegistryClient {
        var registry: [String: JSONValue] = ["url": .string(url)]
        if login {
            registry["username"] = "deployer"
            registry["password"] = "registry-password-1"
        }
        if !tokenHosts.isEmpty { registry["tokenHosts"] = .array(tokenHosts.map { .string($0) }) }
        return RegistryClient(connector: try RegistryConnector(["dockerRegistry": .object(registry)]), http: http)
    }

    func failure(_ body: () async throws -> Void) async -> TaskError? {
        do {
            try await body()
            return nil
        } catch let e as TaskError {
            return e
        } catch {
            Issue.record("expected a TaskError, got \(error)")
            return nil
        }
    }

    @Test(arguments: ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://[fd00:ec2::254]/latest", "gopher://127.0.0.1:1/x", "dict://127.0.0.1:1/x"])
    func realmsOutsideHTTPOrAtInstanceMetadataAreRefused(realm: String) async throws {
        let server = try await registry(realm: realm)
        defer { server.stop() }
        let e = await failure { try await client(server.baseURL).validate() }
        #expect(e?.code == "registry.invalid_response", "\(String(describing: e))")
        #expect(e?.message.contains("is not an http(s) URL") == true || e?.message.contains("is a link-local address (instance metadata)") == true, "\(e?.message ?? "")")
    }

    @Test func theLoginGoesOnlyToTheRegistrysHostOrAHostTheConnectorNames() async throws {
        let tokens = Recorder()
        let tokenServer = try await tokenServer(tokens)
        defer { tokenServer.stop() }
        let port = URLComponents(string: tokenServer.baseURL)?.port ?? 0
        // The registry is 127.0.0.1; its realm names another host, localhost.
        let elsewhere = "http://localhost:\(port)/token"
        let server = try await registry(realm: elsewhere)
        defer { server.stop() }

        let refused = await failure { try await client(server.baseURL).validate() }
        #expect(refused?.message.contains("add localhost to the connector's tokenHosts") == true, "\(refused?.message ?? "")")
        #expect(tokens.authorizations.isEmpty, "nothing reached the other host")

        // Anonymous: no login to leak, the token is fetched without one.
        #expect(await failure { try await client(server.baseURL, login: false).validate() } == nil)
        #expect(tokens.authorizations == ["none"])

        // Named by the connector: the login goes there.
        #expect(await failure { try await client(server.baseURL, tokenHosts: ["localhost"]).validate() } == nil)
        #expect(tokens.authorizations.last?.hasPrefix("Basic ") == true)

        // The registry's own host always may.
        let sameHost = try await registry(realm: tokenServer.baseURL + "/token")
        defer { sameHost.stop() }
        #expect(await failure { try await client(sameHost.baseURL).validate() } == nil)
        #expect(tokens.authorizations.count == 3)
    }

    @Test func tokenHostsAreCheckedWhereTheConnectorIsRead() {
        for hosts in [["https://auth.docker.io"], ["-x"], ["a/b"], Array(repeating: "h", count: 17)] {
            #expect(throws: TaskError.self, "\(hosts)") {
                _ = try RegistryConnector(["dockerRegistry": ["url": "https://r.example.com", "tokenHosts": .array(hosts.map { .string($0) })]])
            }
        }
        #expect(RegistryTokenHosts.decide(realmHost: "169.254.169.254", registryHost: "r", tokenHosts: []) != .sendLogin)
        #expect(RegistryTokenHosts.decide(realmHost: "169.254.169.254", registryHost: "r", tokenHosts: ["169.254.169.254"]) == .sendLogin)
        #expect(URLRules.isLinkLocal(host: "169.254.170.2") && URLRules.isLinkLocal(host: "[fe80::1]") && URLRules.isLinkLocal(host: "::ffff:169.254.169.254"))
        #expect(!URLRules.isLinkLocal(host: "127.0.0.1") && !URLRules.isLinkLocal(host: "169.255.0.1") && !URLRules.isLinkLocal(host: "example.com"))
    }
}
