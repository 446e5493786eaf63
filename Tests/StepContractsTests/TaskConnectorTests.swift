import DelegateProtocol
import Foundation
import StepContracts
import Testing

/// The connector's wire form: one type written by the manager and parsed once by the delegate.
@Suite struct TaskConnectorTests {
    /// The message for `json`, or nil when it parses.
    func problem(_ json: JSONValue?) -> String? {
        do {
            _ = try TaskConnector(parsing: json)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func membersOfTheWrongTypeAreNamedUnderConnector() {
        #expect(problem(nil) == nil && problem(.null) == nil)
        #expect(problem("aws") == "connector must be an object")
        #expect(problem(["aws": ["region": 5]]) == "connector.aws.region must be a string")
        #expect(problem(["aws": ["region": "r", "credentials": ["kind": "static", "source": "x"]]]) == "connector.aws.credentials.source must be an object")
        #expect(problem(["dockerRegistry": ["url": "http://h", "ecr": "us-east-1"]]) == "connector.dockerRegistry.ecr must be an object")
        #expect(problem(["dockerRegistry": ["url": "http://h", "tokenHosts": ["a", 1]]]) == "connector.dockerRegistry.tokenHosts[1] must be a string")
        #expect(problem(["dockerRegistry": ["url": "http://h", "tokenHosts": "a"]]) == "connector.dockerRegistry.tokenHosts must be a list")
        #expect(throws: TaskError(code: "invalid_connector", message: "connector.aws.region must be a string")) { try TaskConnector.parsed(["aws": ["region": true]]) }
    }

    @Test func whatTheManagerWritesTheDelegateReadsBack() throws {
        let source = AWSCredentialsForm(kind: .static, accessKeyId: "AKID", secretAccessKey: "s3cr3t", sessionToken: "tok")
        let aws = AWSConnectorForm(region: "us-east-1", endpoint: "http://127.0.0.1:4566",
                                   credentials: AWSCredentialsForm(kind: .assumeRole, roleArn: "arn:aws:iam::1:role/r", source: source))
        let written = TaskConnector(aws: aws, dockerRegistry: RegistryConnectorForm(url: "https://r.example.com", username: "u", password: "pw", tokenHosts: ["auth.example.com"]))
        let json = try JSONValue(encoding: written)
        #expect(json["aws"]?["credentials"]?["source"]?["secretAccessKey"] == "s3cr3t", "source is one nested object")
        #expect(try TaskConnector(parsing: json) == written)
        #expect(Set(written.secretValues) == ["s3cr3t", "tok", "pw"], "keys ids are not secrets; secret keys, tokens and passwords are")
    }

    @Test func aStoredConnectorIsMergedOverAnInlineOneMemberByMember() throws {
        let inline: JSONValue = ["aws": ["region": "eu-west-1"], "vendor": ["x": 1]]
        let stored = TaskConnector(dockerRegistry: RegistryConnectorForm(url: "http://127.0.0.1:5000"))
        let merged = try stored.merged(into: inline)
        #expect(merged["aws"]?["region"] == "eu-west-1" && merged["vendor"] != nil && merged["dockerRegistry"]?["url"] == "http://127.0.0.1:5000")
        #expect(try TaskConnector(aws: AWSConnectorForm(region: "us-east-1")).merged(into: inline)["aws"]?["region"] == "us-east-1")
        #expect(try stored.merged(into: nil) == ["dockerRegistry": ["url": "http://127.0.0.1:5000"]])
    }
}
