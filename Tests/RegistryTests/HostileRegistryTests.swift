import DelegateProtocol
import Foundation
import HTTPClient
import HTTPTypes
import Hummingbird
import TestSupport
import Testing

import Registry

/// Registries that answer badly, served on loopback: every answer is bounded and every failure is a `TaskError` in plain words.
@Suite(.timeLimit(.minutes(3))) struct HostileRegistryTests {
    let http = HTTPClient()

    /// A loopback "registry" whose every GET is answered by `answer(path, query)`.
    func registry(_ answer: @escaping @Sendable (String, [String: String]) -> (status: HTTPResponse.Status, headers: HTTPFields, body: String)) async throws -> LoopbackServer {
        try await LoopbackServer.start { router in
            router.get("**") { request, _ -> Response in
                var query: [String: String] = [:]
                for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
                let (status, headers, body) = answer(request.uri.path, query)
                return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
    }

    /// A client of `url`, anonymous, `pageSize` tags per page.
    func client(_ url: String, pageSize: Int = 2) throws -> RegistryClient {
        RegistryClient(connector: try RegistryConnector(["dockerRegistry": ["url": .string(url)]]), http: http, pageSize: pageSize)
    }

    /// The `TaskError` `body` throws.
    func taskError(_ body: () async throws -> Void) async -> TaskError? {
        do {
            try await body()
        } catch let e as TaskError {
            return e
        } catch {
            Issue.record("expected a TaskError, got \(error)")
        }
        return nil
    }

    static let json: HTTPFields = [.contentType: "application/json"]

    @Test func withoutLinkHeadersFullPagesAreFollowedWithLast() async throws {
        let all = ["a", "b", "c", "d", "e"]
        let server = try await registry { _, query in
            let n = Int(query["n"] ?? "") ?? 100
            let rest = all.filter { $0 > (query["last"] ?? "") }.prefix(n)
            return (.ok, Self.json, #"{"name": "app", "tags": [\#(rest.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
        }
        defer { server.stop() }
        #expect(try await client(server.baseURL).tags(repository: "app") == all)
    }

    @Test func aLinkToAnotherOriginIsRefusedAndALinkLoopEnds() async throws {
        let away = try await registry { _, _ in
            var h = Self.json
            h[HTTPField.Name("Link")!] = #"<http://198.51.100.1/v2/app/tags/list?last=b>; rel="next""#
            return (.ok, h, #"{"tags": ["a", "b"]}"#)
        }
        defer { away.stop() }
        let e = await taskError { _ = try await client(away.baseURL).tags(repository: "app") }
        #expect(e?.code == "registry.invalid_response" && e?.message.contains("leaves the registry") == true, "\(String(describing: e))")

        let loop = try await registry { _, _ in
            var h = Self.json
            h[HTTPField.Name("Link")!] = #"</v2/app/tags/list?n=2>; rel="next""#
            return (.ok, h, #"{"tags": ["a", "b"]}"#)
        }
        defer { loop.stop() }
        #expect(try await client(loop.baseURL).tags(repository: "app") == ["a", "b"])
    }

    @Test func oversizedUnknownAndMalformedAnswersAreRefusedNamingWhy() async throws {
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let big = String(repeating: " ", count: RegistryClient.maxManifestBytes + 1)
        let many = (0...RegistryClient.maxPlatforms).map { _ in #"{"digest": "\#(digest)", "platform": {"os": "linux", "architecture": "amd64"}}"# }.joined(separator: ",")
        let server = try await registry { path, _ in
            switch path {
            case "/v2/big/manifests/1": return (.ok, Self.json, big)
            case "/v2/v1/manifests/1": return (.ok, [.contentType: "application/vnd.docker.distribution.manifest.v1+prettyjws"], #"{"schemaVersion": 1}"#)
            case "/v2/many/manifests/1": return (.ok, [.contentType: "application/vnd.oci.image.index.v1+json"], #"{"schemaVersion": 2, "manifests": [\#(many)]}"#)
            case "/v2/text/manifests/1": return (.ok, [.contentType: "application/vnd.oci.image.manifest.v1+json"], "not json")
            case "/v2/badtag/tags/list": return (.ok, Self.json, #"{"tags": ["ok", "../x"]}"#)
            case "/v2/down/tags/list": return (.badGateway, [:], "<html>bad gateway</html>")
            default: return (.notFound, Self.json, #"{"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known\nto registry"}]}"#)
            }
        }
        defer { server.stop() }
        let c = try client(server.baseURL)
        let cases: [(String, () async throws -> Void, String, String)] = [
            ("big", { _ = try await c.resolve(repository: "big", reference: "1") }, "registry.invalid_response", "too large"),
            ("v1", { _ = try await c.resolve(repository: "v1", reference: "1") }, "registry.invalid_response", "media type application/vnd.docker.distribution.manifest.v1+prettyjws is not one the client reads"),
            ("many", { _ = try await c.resolve(repository: "many", reference: "1") }, "registry.invalid_response", "more than 1024 manifests"),
            ("text", { _ = try await c.resolve(repository: "text", reference: "1") }, "registry.invalid_response", "not JSON"),
            ("badtag", { _ = try await c.tags(repository: "badtag") }, "registry.invalid_response", "not a tag"),
            ("down", { _ = try await c.tags(repository: "down") }, "registry.http_502", "GET /v2/down/tags/list: HTTP 502"),
            ("gone", { _ = try await c.tags(repository: "gone") }, "registry.name_unknown", "404 NAME_UNKNOWN: repository name not known to registry"),
            ("reference", { _ = try await c.resolve(repository: "app", reference: "a/../b") }, "invalid_payload", "neither a tag"),
        ]
        for (name, body, code, text) in cases {
            let e = await taskError(body)
            #expect(e?.code == code && e?.message.contains(text) == true, "\(name): \(String(describing: e))")
        }
    }

    @Test func challengesWithoutCredentialsOrWithAnUnusableTokenFailClearly() async throws {
        let basic = try await registry { _, _ in
            (.unauthorized, [.wwwAuthenticate: #"Basic realm="r""#, .contentType: "application/json"], #"{"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}"#)
        }
        defer { basic.stop() }
        let anonymous = await taskError { try await client(basic.baseURL).validate() }
        #expect(anonymous?.code == "registry.unauthorized" && anonymous?.message == "401 unauthorized: registry \(basic.baseURL) refused anonymous access for GET /v2/ (UNAUTHORIZED: authentication required)", "\(String(describing: anonymous))")

        let tokenServer = try await registry { path, _ in
            path == "/token" ? (.ok, Self.json, #"{"token": "has spaces in it"}"#) : (.notFound, [:], "")
        }
        defer { tokenServer.stop() }
        let bearer = try await registry { _, _ in
            (.unauthorized, [.wwwAuthenticate: #"Bearer realm="\#(tokenServer.baseURL)/token",service="s""#], "")
        }
        defer { bearer.stop() }
        let unusable = await taskError { try await client(bearer.baseURL).validate() }
        #expect(unusable?.code == "registry.invalid_response" && unusable?.message.contains("no usable token") == true, "\(String(describing: unusable))")

        let ftp = try await registry { _, _ in (.unauthorized, [.wwwAuthenticate: #"Bearer realm="ftp://x/token""#], "") }
        defer { ftp.stop() }
        let badRealm = await taskError { try await client(ftp.baseURL).validate() }
        #expect(badRealm?.code == "registry.invalid_response" && badRealm?.message.contains("is not an http(s) URL") == true, "\(String(describing: badRealm))")
    }
}
