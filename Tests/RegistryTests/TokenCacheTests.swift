import DelegateProtocol
import Foundation
import HTTPClient
import HTTPTypes
import Hummingbird
import TestSupport
import Testing

import Registry

/// The bearer-token cache holds at most `RegistryClient.maxTokens` scopes, however many repositories a client reads.
@Suite(.timeLimit(.minutes(3))) struct TokenCacheTests {
    @Test func oneTokenPerScopeIsCachedUpToTheBound() async throws {
        let tokens = try await LoopbackServer.start { router in
            router.get("token") { _, _ -> Response in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"token": "t0ken", "expires_in": 3600}"#)))
            }
        }
        defer { tokens.stop() }
        let realm = tokens.baseURL + "/token"
        // Every request without a token is challenged; with one it gets a one-tag list.
        let registry = try await LoopbackServer.start { router in
            router.get("**") { request, _ -> Response in
                guard request.headers[.authorization] == "Bearer t0ken" else {
                    return Response(status: .unauthorized, headers: [.wwwAuthenticate: #"Bearer realm="\#(realm)",service="s""#])
                }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"tags": ["v1"]}"#)))
            }
        }
        defer { registry.stop() }
        let client = RegistryClient(connector: try RegistryConnector(["dockerRegistry": ["url": .string(registry.baseURL)]]), http: HTTPClient())
        let repositories = RegistryClient.maxTokens + 20
        for i in 0..<repositories {
            #expect(try await client.tags(repository: "team/app-\(i)") == ["v1"])
            #expect(client.cachedTokenCount <= RegistryClient.maxTokens, "after \(i + 1) scopes")
        }
        #expect(client.cachedTokenCount == RegistryClient.maxTokens)
    }
}
