import AWSServices
import DelegateProtocol
import Foundation
import Testing

import Registry

/// The task connector `{"dockerRegistry": {...}}`, the header parsers and ECR's token answer.
@Suite struct RegistryConnectorTests {
    /// The `invalid_connector` message for `connector`, or nil when it is accepted.
    func refusal(_ connector: JSONValue?) -> String? {
        do {
            _ = try RegistryConnector(connector)
            return nil
        } catch let e as TaskError {
            return e.code == "invalid_connector" ? e.message : "wrong code \(e.code)"
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func readsURLCredentialsAndECR() throws {
        let plain = try RegistryConnector(["dockerRegistry": ["url": "http://127.0.0.1:5000/"]])
        #expect(plain.url == "http://127.0.0.1:5000" && plain.username == nil && plain.password == nil && plain.ecr == nil)
        // The tutorial's Docker Hub URL names the API root; the client adds /v2/ itself.
        #expect(try RegistryConnector(["dockerRegistry": ["url": "https://registry.hub.docker.com/v2/"]]).url == "https://registry.hub.docker.com")
        let basic = try RegistryConnector(["dockerRegistry": ["url": "https://r.example.com", "username": "alice", "password": "pw-123456"]])
        #expect(basic.username == "alice" && basic.password == "pw-123456")
        let ecr = try RegistryConnector(["dockerRegistry": [
            "url": "https://1.dkr.ecr.us-east-1.amazonaws.com",
            "ecr": ["region": "us-east-1", "endpoint": "http://127.0.0.1:1", "credentials": ["kind": "static", "accessKeyId": "AK", "secretAccessKey": "SK-secret"]],
        ]])
        #expect(ecr.ecr?.region == "us-east-1" && ecr.ecr?.endpoint == "http://127.0.0.1:1")
    }

    @Test func missingOrInvalidMembersAreNamed() {
        #expect(refusal(nil)?.contains("no Docker registry connector") == true)
        #expect(refusal(["aws": ["region": "us-east-1"]])?.contains("no Docker registry connector") == true)
        #expect(refusal(["dockerRegistry": [:]])?.contains("connector.dockerRegistry.url is missing") == true)
        #expect(refusal(["dockerRegistry": ["url": "ftp://h"]])?.contains("must be an http or https URL") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://h x"]])?.contains("white space") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://u:p@h"]])?.contains("user:password@") == true)
        #expect(refusal(["dockerRegistry": ["url": .string("http://h/" + String(repeating: "a", count: 3000))]])?.contains("longer than 2048") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://h", "username": 5]])?.contains("username must be a string") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://h", "password": "p"]])?.contains("without a username") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://h", "username": "a:b", "password": "p"]])?.contains("must not contain ':'") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://h", "username": "a", "password": "p\u{0}"]])?.contains("control characters") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://h", "ecr": "us-east-1"]])?.contains("ecr must be an object") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://h", "ecr": [:]]])?.contains("connector.dockerRegistry.ecr.region is missing") == true)
        #expect(refusal(["dockerRegistry": ["url": "http://h", "username": "a", "ecr": ["region": "us-east-1"]]])?.contains("not both") == true)
    }

    @Test func secretsForMaskingAreThePasswordAndECRKeys() {
        let c: JSONValue = ["dockerRegistry": [
            "url": "http://h", "username": "alice", "password": "pw-123456",
            "ecr": ["region": "us-east-1", "credentials": ["kind": "static", "accessKeyId": "AK", "secretAccessKey": "SK-secret", "sessionToken": "tok-1"]],
        ]]
        #expect(Set(RegistryConnector.secrets(in: c)) == ["pw-123456", "SK-secret", "tok-1"])
        #expect(RegistryConnector.secrets(in: nil).isEmpty)
    }

    @Test func challengesAreParsed() {
        #expect(AuthChallenge(header: #"Basic realm="Registry Realm""#) == .basic)
        #expect(AuthChallenge(header: #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push""#)
            == .bearer(realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/nginx:pull,push"))
        #expect(AuthChallenge(header: #"bearer realm=http://t/x , service = "s\"q""#) == .bearer(realm: "http://t/x", service: "s\"q", scope: nil))
        #expect(AuthChallenge(header: #"Bearer service="s""#) == nil)
        #expect(AuthChallenge(header: "Negotiate abc") == nil)
        #expect(AuthChallenge(header: nil) == nil)
        #expect(AuthChallenge(header: "Bearer realm=\"" + String(repeating: "r", count: 9000) + "\"") == nil)
    }

    @Test func linkHeadersGiveTheNextPage() {
        #expect(LinkHeader.next(#"</v2/library/nginx/tags/list?last=b&n=2>; rel="next""#) == "/v2/library/nginx/tags/list?last=b&n=2")
        #expect(LinkHeader.next(#"<https://x/prev>; rel="prev", <https://x/next>; rel=next"#) == "https://x/next")
        #expect(LinkHeader.next(#"</a>; rel="prev""#) == nil)
        #expect(LinkHeader.next(nil) == nil)
    }

    @Test func ecrAnswersAreReadAndBadOnesRefused() throws {
        let token = Data("AWS:pass-word:with-colon".utf8).base64EncodedString()
        let ok = try ECRAuthorization(answer: ["authorizationData": [["authorizationToken": .string(token), "proxyEndpoint": "https://1.dkr.ecr.us-east-1.amazonaws.com", "expiresAt": 1_900_000_000.5]]])
        #expect(ok.username == "AWS" && ok.password == "pass-word:with-colon" && ok.proxyEndpoint.hasSuffix("amazonaws.com"))
        #expect(ok.expiresAt == Date(timeIntervalSince1970: 1_900_000_000))
        let far = try ECRAuthorization(answer: ["authorizationData": [["authorizationToken": .string(token), "expiresAt": 1e300]]])
        #expect(far.expiresAt == nil)
        for bad: JSONValue in [
            [:], ["authorizationData": []], ["authorizationData": [["authorizationToken": "!!!"]]],
            ["authorizationData": [["authorizationToken": .string(Data("nocolon".utf8).base64EncodedString())]]],
            ["authorizationData": [["authorizationToken": .string(Data(":p".utf8).base64EncodedString())]]],
        ] {
            #expect(throws: (any Error).self) { try ECRAuthorization(answer: bad) }
        }
    }
}
