import AWSCore
import AWSServices
import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import Testing

/// A task's AWS connector is input (issue 21): its endpoint is http(s) only, and it cannot make the delegate read a file of its choosing.
@Suite struct ConnectorPolicyTests {
    func connector(endpoint: String? = nil, credentials: JSONValue = ["kind": "static", "accessKeyId": "AKID", "secretAccessKey": "s"]) -> JSONValue {
        var aws: [String: JSONValue] = ["region": "us-east-1", "credentials": credentials]
        if let endpoint { aws["endpoint"] = .string(endpoint) }
        return ["aws": .object(aws)]
    }

    @Test(arguments: ["file:///etc/passwd", "gopher://127.0.0.1:70/x", "dict://127.0.0.1:2628/x", "http://user:pw@127.0.0.1/", "127.0.0.1:4566", "http://", "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"])
    func endpointsOtherThanHTTPAreRefused(endpoint: String) {
        do {
            _ = try AWSConnector(connector(endpoint: endpoint))
            Issue.record("accepted \(endpoint)")
        } catch let e as TaskError {
            #expect(e.code == "invalid_connector" && e.message.hasPrefix("connector.aws.endpoint "), "\(e.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func aWebIdentityTokenFileMustBeOneTheOperatorAllows() throws {
        let http = HTTPClient()
        defer { http.shutdown() }
        let dir = NSTemporaryDirectory() + "webid-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let allowed = dir + "/token"
        try "jwt".write(toFile: allowed, atomically: true, encoding: .utf8)
        func clients(_ file: String, environment: [String: String] = [:], policy: ConnectorPolicy = .strict) throws -> AWSClients {
            let c = connector(endpoint: "http://127.0.0.1:1", credentials: ["kind": "webIdentity", "roleArn": "arn:aws:iam::1:role/r", "tokenFile": .string(file)])
            return try AWSClients(connector: try AWSConnector(c), http: http, logger: Logger(label: "t"), environment: environment, policy: policy)
        }
        for file in ["/etc/shadow", "/var/lib/ecs-delegate/state.sqlite", allowed] {
            do {
                _ = try clients(file)
                Issue.record("\(file) was accepted with the strict policy")
            } catch let e as TaskError {
                #expect(e.code == "invalid_connector" && e.message.contains("is not a token file this delegate allows"), "\(e.message)")
            }
        }
        // Also inside an assumeRole's source.
        let nested = connector(credentials: ["kind": "assumeRole", "roleArn": "arn:aws:iam::1:role/r", "source": ["kind": "webIdentity", "roleArn": "arn:aws:iam::1:role/s", "tokenFile": "/etc/shadow"]])
        #expect(throws: TaskError.self) { _ = try AWSClients(connector: try AWSConnector(nested), http: http, logger: Logger(label: "t"), environment: [:]) }
        // The delegate's own token file, and one its configuration lists, are allowed.
        _ = try clients(allowed, environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": allowed])
        _ = try clients(allowed, policy: ConnectorPolicy(webIdentityTokenFiles: [allowed]))
    }
}
