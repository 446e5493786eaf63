import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerCore
import Manifests
import Testing

/// Connector files: the issue's format, problems at file:line:column, and the resolution the delegate reads.
@Suite struct ConnectorFileTests {
    static let example = """
        name: aws-prod
        type: aws                       # or dockerRegistry (url, username, passwordSecret)
        region: us-east-1
        endpoint: http://127.0.0.1:4566 # optional (the simulator)
        credentials:
          kind: static                  # static | delegate (the host's chain) | assumeRole (roleArn, externalId, source)
          accessKeyIdSecret: prod-key-id
          secretAccessKeySecret: prod-secret
        delegateSelectors: [prod]
        """

    /// The problems `text` has, as `file:line:column: ...` lines.
    func problems(_ text: String) -> [String] {
        do {
            _ = try ConnectorFile.parse(text, file: "c.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func theIssuesExampleReads() throws {
        let c = try ConnectorFile.parse(Self.example, file: "c.yaml")
        #expect(c == Connector(
            name: "aws-prod", type: .aws, region: "us-east-1", endpoint: "http://127.0.0.1:4566",
            credentials: ConnectorCredentials(kind: .static, accessKeyIdSecret: "prod-key-id", secretAccessKeySecret: "prod-secret"),
            delegateSelectors: ["prod"]))
        #expect(c.secretNames == ["prod-key-id", "prod-secret"])
    }

    @Test func unknownMembersAreNamedAtTheirKey() {
        let text = Self.example.replacingOccurrences(of: "region: us-east-1", with: "regoin: us-east-1") + "\n"
        let found = problems(text)
        #expect(found.contains { $0.hasPrefix("c.yaml:3:1: regoin: unknown member 'regoin'") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("c.yaml:1:1: missing required member 'region'") }, "\(found)")
        let nested = problems(Self.example.replacingOccurrences(of: "  accessKeyIdSecret:", with: "  accessKeyId:"))
        #expect(nested.contains { $0.hasPrefix("c.yaml:7:3: credentials.accessKeyId: unknown member 'accessKeyId'") }, "\(nested)")
        #expect(nested.contains { $0.hasPrefix("c.yaml:6:3: credentials: missing required member 'accessKeyIdSecret'") }, "\(nested)")
    }

    @Test func badValuesAreNamedAtTheirValue() {
        let found = problems(Self.example.replacingOccurrences(of: "kind: static  ", with: "kind: sso     ").replacingOccurrences(of: "[prod]", with: "[prod, \"two words\"]"))
        #expect(found.contains { $0.hasPrefix("c.yaml:6:9: credentials.kind: must be one of static, delegate, assumeRole, got 'sso'") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("c.yaml:9:27: delegateSelectors[1]: a tag must not contain white space") }, "\(found)")
        #expect(problems("name: x\ntype: gcp\n").contains { $0.hasPrefix("c.yaml:2:7: type: must be one of aws, dockerRegistry") })
        #expect(problems("name: [x\n").first?.hasPrefix("c.yaml:") == true)
        #expect(problems("").first?.contains("empty") == true)
        #expect(problems("- a\n").first?.contains("mapping") == true)
    }

    @Test func aStoredConnectorResolvesToTheDelegatesFormatWithItsSecrets() throws {
        let c = try ConnectorFile.parse(Self.example, file: "c.yaml")
        let values = ["prod-key-id": "AKIDEXAMPLE", "prod-secret": "s3cr3t-value"]
        let r = try c.resolved { try #require(values[$0]) }
        #expect(try JSONValue(encoding: r.connector) == ["aws": ["region": "us-east-1", "endpoint": "http://127.0.0.1:4566",
                                        "credentials": ["kind": "static", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "s3cr3t-value"]]])
        #expect(r.secrets == values)
        let role = try ConnectorFile.parse("""
            name: aws-role
            type: aws
            region: eu-west-1
            credentials: {kind: assumeRole, roleArn: "arn:aws:iam::123456789012:role/deploy", externalId: ext-1}
            """, file: "r.yaml")
        #expect(try JSONValue(encoding: role.resolved { _ in "" }.connector) == ["aws": ["region": "eu-west-1", "credentials": [
            "kind": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/deploy", "externalId": "ext-1", "source": ["kind": "delegate"]]]])
        let registry = try ConnectorFile.parse("name: hub\ntype: dockerRegistry\nurl: https://index.docker.io/v1/\nusername: me\npasswordSecret: hub-pw\n", file: "d.yaml")
        let rr = try registry.resolved { _ in "pw" }
        #expect(try JSONValue(encoding: rr.connector) == ["dockerRegistry": ["url": "https://index.docker.io/v1/", "username": "me", "password": "pw"]])
        #expect(rr.secrets == ["hub-pw": "pw"])
    }
}
