import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerClient
import ManagerCore
import TestSupport
import Testing

/// The connector and secret routes, and what a stored connector does to a task, on an in-process manager.
@Suite struct ConnectorRouteTests {
    static let key = try! SecretBox(key: Array(repeating: 0x5A, count: 32))
    static let secretValue = "pr0d-s3cret-VALUE-9f1c"
    static let connector = """
        {"name": "aws-prod", "type": "aws", "region": "us-east-1", "endpoint": "http://127.0.0.1:4566",
         "credentials": {"kind": "static", "accessKeyIdSecret": "prod-key-id", "secretAccessKeySecret": "prod-secret"},
         "delegateSelectors": ["prod"]}
        """

    /// A manager with secrets on, holding the two secrets and the `aws-prod` connector.
    func seeded(dir: String? = nil) async throws -> LiveManager {
        let m = try await LiveManager.start(secrets: Self.key, dir: dir)
        _ = try await m.register(name: "other", tags: ["other"])
        #expect(try await m.send("PUT", "/v1/secrets/prod-key-id", #"{"value": "AKIDPRODEXAMPLE"}"#).status == 201)
        #expect(try await m.send("PUT", "/v1/secrets/prod-secret", #"{"value": "\#(Self.secretValue)"}"#).status == 201)
        #expect(try await m.send("PUT", "/v1/connectors/aws-prod", Self.connector).status == 201)
        return m
    }

    /// Submits `delegate.echo` using the stored connector; returns the report as the manager answers it.
    func submit(_ m: LiveManager, selectors: [String] = [], connectorName: String = "aws-prod") async throws -> TaskReport {
        try #require(try await m.client.call("POST", "/v1/tasks", body: TaskSubmission(
            SubmitTaskRequest(type: "delegate.echo", selectors: selectors, payload: ["lines": ["x"]]), connectorName: connectorName), as: TaskReport.self))
    }

    @Test func connectorsAreCreatedReadListedReplacedAndDeleted() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        #expect(try await m.send("PUT", "/v1/connectors/aws-prod", Self.connector).status == 201)
        #expect(try await m.send("PUT", "/v1/connectors/aws-prod", Self.connector).status == 200)
        let record = try #require(try await m.client.call("GET", "/v1/connectors/aws-prod", as: ConnectorRecord.self))
        #expect(record.connector.delegateSelectors == ["prod"] && record.connector.credentials?.secretAccessKeySecret == "prod-secret")
        #expect(try await m.client.call("GET", "/v1/connectors", as: [ConnectorRecord].self)?.map(\.connector.name) == ["aws-prod"])
        let unknown = try await m.send("PUT", "/v1/connectors/aws-prod", Self.connector.replacingOccurrences(of: "\"region\"", with: "\"regoin\""))
        #expect(unknown.status == 400 && unknown.body.contains("unknown member 'regoin'") && unknown.body.contains("missing required member 'region'"))
        let renamed = try await m.send("PUT", "/v1/connectors/other", Self.connector)
        #expect(renamed.status == 400 && renamed.body.contains("the path names 'other'"))
        #expect(try await m.send("PUT", "/v1/connectors/bad%20name", Self.connector).status == 400)
        #expect(try await m.send("DELETE", "/v1/connectors/aws-prod").status == 200)
        #expect(try await m.send("DELETE", "/v1/connectors/aws-prod").status == 404)
        #expect(try await m.send("GET", "/v1/connectors/aws-prod").status == 404)
    }

    @Test func withoutAKeyFileSecretRoutesSaySo() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        for (method, body) in [("PUT", #"{"value": "v"}"#), ("DELETE", nil)] {
            let answer = try await m.send(method, "/v1/secrets/x", body)
            #expect(answer.status == 409 && answer.body.contains("secrets_disabled") && answer.body.contains("--secrets-key-file"))
        }
        #expect(try await m.send("GET", "/v1/secrets").status == 409)
        #expect(try await m.send("PUT", "/v1/connectors/aws-prod", Self.connector).status == 201)
        _ = try await m.register()
        let refused = try await m.send("POST", "/v1/tasks", #"{"type": "delegate.echo", "selectors": [], "payload": {}, "connectorName": "aws-prod"}"#)
        #expect(refused.status == 400 && refused.body.contains("without --secrets-key-file"))
    }

    @Test func aTaskUsingAConnectorGoesOnlyToDelegatesWithItsTagsAndSaysWhy() async throws {
        let m = try await seeded()
        defer { Task { await m.stop() } }
        let dev = try await m.register(name: "dev", tags: ["dev"])
        let report = try await submit(m, selectors: ["ECS"])
        #expect(report.selectors == ["ECS", "prod"] && report.connectorName == "aws-prod")
        let waiting = try #require(try await m.client.call("GET", "/v1/tasks/\(report.taskId)", as: TaskReport.self))
        #expect(waiting.waitingReason?.hasPrefix("no connected delegate has tags ECS, prod (connector aws-prod") == true, "\(waiting.waitingReason ?? "")")
        #expect(try await m.client.nextTask(delegateId: dev, wait: 0) == nil)
        let prod = try await m.register(name: "prod", tags: ["prod", "ecs"])
        let envelope = try #require(try await m.client.nextTask(delegateId: prod, wait: 1))
        #expect(envelope.taskId == report.taskId)
        #expect(envelope.connector == ["aws": ["region": "us-east-1", "endpoint": "http://127.0.0.1:4566", "credentials": [
            "kind": "static", "accessKeyId": "AKIDPRODEXAMPLE", "secretAccessKey": .string(Self.secretValue)]]])
        #expect(envelope.secrets == ["prod-key-id": "AKIDPRODEXAMPLE", "prod-secret": Self.secretValue])
    }

    @Test func submissionsNamingConnectorsAreChecked() async throws {
        let m = try await seeded()
        defer { Task { await m.stop() } }
        _ = try await m.register()
        let unknown = try await m.send("POST", "/v1/tasks", #"{"type": "delegate.echo", "selectors": [], "payload": {}, "connectorName": "nope"}"#)
        #expect(unknown.status == 400 && unknown.body.contains("no connector 'nope' (known: aws-prod)"))
        let both = try await m.send("POST", "/v1/tasks", #"{"type": "delegate.echo", "selectors": [], "payload": {}, "connectorName": "aws-prod", "connector": {}}"#)
        #expect(both.status == 400 && both.body.contains("not both"))
        #expect(try await m.send("DELETE", "/v1/secrets/prod-secret").status == 200)
        let missing = try await m.send("POST", "/v1/tasks", #"{"type": "delegate.echo", "selectors": [], "payload": {}, "connectorName": "aws-prod"}"#)
        #expect(missing.status == 400 && missing.body.contains("secrets that do not exist: prod-secret"))
    }

    @Test func anArtifactConnectorTravelsBesideTheAWSOneWithItsSecretAndSelectors() async throws {
        let m = try await seeded()
        defer { Task { await m.stop() } }
        #expect(try await m.send("PUT", "/v1/secrets/registry-password", #"{"value": "r3gistry-PASS-41"}"#).status == 201)
        let registry = #"{"name": "local-registry", "type": "dockerRegistry", "url": "http://127.0.0.1:5000", "username": "ci", "passwordSecret": "registry-password", "delegateSelectors": ["registry-net"]}"#
        #expect(try await m.send("PUT", "/v1/connectors/local-registry", registry).status == 201)
        let wrongKind = try await m.send("POST", "/v1/tasks", #"{"type": "delegate.echo", "selectors": [], "payload": {}, "connectorName": "aws-prod", "artifactConnectorName": "aws-prod"}"#)
        #expect(wrongKind.status == 400 && wrongKind.body.contains("member 'artifactConnectorName'") && wrongKind.body.contains("dockerRegistry"))
        let unknown = try await m.send("POST", "/v1/tasks", #"{"type": "delegate.echo", "selectors": [], "payload": {}, "artifactConnectorName": "nope"}"#)
        #expect(unknown.status == 400 && unknown.body.contains("member 'artifactConnectorName': no connector 'nope'"))
        let report = try #require(try await m.client.call("POST", "/v1/tasks", body: TaskSubmission(
            SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: ["lines": ["x"]]), connectorName: "aws-prod", artifactConnectorName: "local-registry"), as: TaskReport.self))
        #expect(report.selectors == ["prod", "registry-net"], "both connectors' selectors route the task")
        let prodOnly = try await m.register(tags: ["prod"])
        #expect(try await m.client.nextTask(delegateId: prodOnly, wait: 0) == nil)
        let both = try await m.register(name: "both", tags: ["prod", "registry-net"])
        let envelope = try #require(try await m.client.nextTask(delegateId: both, wait: 1))
        #expect(envelope.connector?["aws"]?["region"] == "us-east-1")
        #expect(envelope.connector?["dockerRegistry"]?["url"] == "http://127.0.0.1:5000")
        #expect(envelope.connector?["dockerRegistry"]?["password"] == "r3gistry-PASS-41")
        #expect(envelope.secrets["registry-password"] == "r3gistry-PASS-41" && envelope.secrets["prod-secret"] == Self.secretValue)
    }

    @Test func anECRRegistryCarriesItsAWSConnectorResolvedAsItsECRMember() async throws {
        let m = try await seeded()
        defer { Task { await m.stop() } }
        let both = #"{"name": "ecr", "type": "dockerRegistry", "url": "https://1.dkr.ecr.us-east-1.amazonaws.com", "ecrConnector": "aws-prod", "username": "u", "passwordSecret": "prod-secret"}"#
        let refused = try await m.send("PUT", "/v1/connectors/ecr", both)
        #expect(refused.status == 400 && refused.body.contains("either 'ecrConnector'"), "\(refused.body)")
        let ecr = #"{"name": "ecr", "type": "dockerRegistry", "url": "https://1.dkr.ecr.us-east-1.amazonaws.com", "ecrConnector": "aws-prod", "delegateSelectors": ["prod"]}"#
        #expect(try await m.send("PUT", "/v1/connectors/ecr", ecr).status == 201)
        let wrong = #"{"name": "ecr-wrong", "type": "dockerRegistry", "url": "https://1.dkr.ecr.us-east-1.amazonaws.com", "ecrConnector": "ecr"}"#
        #expect(try await m.send("PUT", "/v1/connectors/ecr-wrong", wrong).status == 201)
        let notAWS = try await m.send("POST", "/v1/tasks", #"{"type": "delegate.echo", "selectors": [], "payload": {}, "artifactConnectorName": "ecr-wrong"}"#)
        #expect(notAWS.status == 400 && notAWS.body.contains("ECR signs in with an aws connector"), "\(notAWS.body)")
        // Two registries naming each other are refused, not followed round for ever.
        let loopA = #"{"name": "loop-a", "type": "dockerRegistry", "url": "https://1.dkr.ecr.us-east-1.amazonaws.com", "ecrConnector": "loop-b"}"#
        let loopB = #"{"name": "loop-b", "type": "dockerRegistry", "url": "https://1.dkr.ecr.us-east-1.amazonaws.com", "ecrConnector": "loop-a"}"#
        #expect(try await m.send("PUT", "/v1/connectors/loop-a", loopA).status == 201)
        #expect(try await m.send("PUT", "/v1/connectors/loop-b", loopB).status == 201)
        let loop = try await m.send("POST", "/v1/tasks", #"{"type": "delegate.echo", "selectors": [], "payload": {}, "artifactConnectorName": "loop-a"}"#)
        #expect(loop.status == 400 && loop.body.contains("ecrConnector 'loop-b' is of type dockerRegistry"), "\(loop.body)")

        _ = try #require(try await m.client.call("POST", "/v1/tasks", body: TaskSubmission(
            SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: ["lines": ["x"]]), artifactConnectorName: "ecr"), as: TaskReport.self))
        let prod = try await m.register(name: "prod", tags: ["prod"])
        let envelope = try #require(try await m.client.nextTask(delegateId: prod, wait: 1))
        let registry = try #require(envelope.connector?["dockerRegistry"])
        #expect(registry["ecr"]?["region"] == "us-east-1" && registry["ecr"]?["credentials"]?["secretAccessKey"]?.stringValue == Self.secretValue)
        #expect(registry["username"] == nil && envelope.secrets["prod-secret"] == Self.secretValue, "the AWS keys are masked like any secret")
        let listed = try await m.send("GET", "/v1/connectors/ecr")
        #expect(listed.body.contains("\"ecrConnector\":\"aws-prod\"") && !listed.body.contains(Self.secretValue))
    }

    @Test func aSecretDeletedWhileTheTaskWaitedFailsItAtLeaseTime() async throws {
        let m = try await seeded()
        defer { Task { await m.stop() } }
        let report = try await submit(m)
        #expect(try await m.send("DELETE", "/v1/secrets/prod-secret").status == 200)
        let prod = try await m.register(tags: ["prod"])
        #expect(try await m.client.nextTask(delegateId: prod, wait: 0) == nil)
        let failed = try await m.client.task(report.taskId)
        #expect(failed.state == "failed" && failed.error?.code == "secret.missing" && failed.error?.message.contains("prod-secret") == true)
    }

    @Test func secretValuesNeverLeaveTheManagerExceptInTheLeaseEnvelope() async throws {
        let m = try await seeded()
        defer { Task { await m.stop() } }
        let report = try await submit(m)
        var answers: [String] = []
        for path in ["/v1/secrets", "/v1/connectors", "/v1/connectors/aws-prod", "/v1/tasks", "/v1/tasks/\(report.taskId)", "/v1/delegates"] {
            answers.append(try await m.send("GET", path).body)
        }
        answers.append(try await m.send("PUT", "/v1/secrets/prod-secret", #"{"value": "\#(Self.secretValue)"}"#).body)
        #expect(answers[0].contains("prod-secret") && answers[0].contains("createdAt"))
        for answer in answers { #expect(!answer.contains(Self.secretValue) && !answer.contains("AKIDPRODEXAMPLE"), "\(answer)") }
        let prod = try await m.register(tags: ["prod"])
        #expect(try await m.client.nextTask(delegateId: prod, wait: 1)?.secrets["prod-secret"] == Self.secretValue)
        if let database = m.postgresDatabase {
            // On PostgreSQL: nothing the database holds, as pg_dump writes it out, has the value in the clear.
            let dump = try PostgresServer.shared().dump(database)
            #expect(dump.range(of: Data("prod-secret".utf8)) != nil && dump.range(of: Data(Self.secretValue.utf8)) == nil)
            return
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: m.dir)
        #expect(files.contains("manager.sqlite") && files.contains("manager.sqlite-wal"))
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: m.dir + "/" + file))
            #expect(bytes.range(of: Data(Self.secretValue.utf8)) == nil, "\(file) holds the secret in the clear")
            #expect(bytes.range(of: Data("AKIDPRODEXAMPLE".utf8)) == nil, "\(file) holds the key id in the clear")
        }
    }

    @Test func aStoredConnectorTaskSurvivesARestartAndAnInlineOneFailsAsBefore() async throws {
        let first = try await seeded()
        let inline = try #require(try await first.client.call("POST", "/v1/tasks", body: TaskSubmission(SubmitTaskRequest(
            type: "delegate.echo", selectors: ["prod"], payload: [:], secrets: ["pw": "inline-secret"])), as: TaskReport.self))
        let stored = try await submit(first)
        await first.stop()
        let m = try await LiveManager.start(secrets: Self.key, dir: first.dir)
        defer { Task { await m.stop() } }
        let prod = try await m.register(tags: ["prod"])
        let envelope = try #require(try await m.client.nextTask(delegateId: prod, wait: 1))
        #expect(envelope.taskId == stored.taskId, "the inline task failed at lease time and was skipped")
        #expect(envelope.secrets["prod-secret"] == Self.secretValue)
        let lost = try await m.client.task(inline.taskId)
        #expect(lost.state == "failed" && lost.error?.code == "secrets.lost")
    }

    @Test func aConnectorTestNamesTheTagsNoConnectedDelegateHasThenRunsOnOneThatHasThem() async throws {
        let m = try await seeded()
        defer { Task { await m.stop() } }
        _ = try await m.register(name: "dev", tags: ["dev"], types: ["aws.validate"])
        let refused = try await m.send("POST", "/v1/connectors/aws-prod/test", "{}")
        #expect(refused.status == 409 && refused.body.contains("no_matching_delegate") && refused.body.contains("no connected delegate has tag prod"), "\(refused.body)")
        #expect(try await m.send("POST", "/v1/connectors/nope/test", "{}").status == 404)
        let prod = try await m.register(name: "prod", tags: ["prod"], types: ["aws.validate"])
        let answer = try await m.send("POST", "/v1/connectors/aws-prod/test", "{}")
        #expect(answer.status == 201 && answer.body.contains("\"type\":\"aws.validate\"") && answer.body.contains("\"connectorName\":\"aws-prod\""))
        #expect(try await m.client.nextTask(delegateId: prod, wait: 1)?.type == "aws.validate")
    }

    @Test func hostileConnectorAndSecretRequestsGetAShortClearAnswer() async throws {
        let m = try await LiveManager.start(secrets: Self.key)
        defer { Task { await m.stop() } }
        let long = String(repeating: "n", count: 65)
        #expect(try await m.send("PUT", "/v1/secrets/\(long)", #"{"value": "v"}"#).body.contains("at most 64 bytes"))
        #expect(try await m.send("PUT", "/v1/secrets/-dash", #"{"value": "v"}"#).status == 400)
        #expect(try await m.send("PUT", "/v1/secrets/ok", #"{"value": ""}"#).status == 400)
        let big = try await m.send("PUT", "/v1/secrets/ok", #"{"value": "\#(String(repeating: "x", count: SecretVault.maxValueBytes + 1))"}"#)
        #expect(big.status == 400 && big.body.contains("at most 65536"))
        #expect(try await m.send("PUT", "/v1/secrets/ok", String(repeating: "[", count: 200)).status == 400)
        let control = try await m.send("PUT", "/v1/connectors/aws-prod", Self.connector.replacingOccurrences(of: "\"prod\"]", with: "\"pr\\u0000od\"]"))
        #expect(control.status == 400 && control.body.contains("delegateSelectors[0]"), "\(control.body)")
        var nested = #"{"kind": "delegate"}"#
        for _ in 0..<6 { nested = #"{"kind": "assumeRole", "roleArn": "arn:aws:iam::1:role/r", "source": \#(nested)}"# }
        let deep = try await m.send("PUT", "/v1/connectors/deep", #"{"name": "deep", "type": "aws", "region": "us-east-1", "credentials": \#(nested)}"#)
        #expect(deep.status == 400 && deep.body.contains("nest at most 4 deep"), "\(deep.body)")
        let huge = try await m.send("PUT", "/v1/connectors/huge", #"{"name": "huge", "type": "aws", "description": "\#(String(repeating: "d", count: 70_000))"}"#)
        #expect(huge.status == 413)
        let wrong = try await m.send("PUT", "/v1/connectors/x", #"{"name": 5, "type": "aws", "region": "US EAST", "endpoint": "ftp://h", "credentials": {"kind": "static"}}"#)
        for member in ["name: must be a string", "region: must be an AWS region", "endpoint: must be an http or https URL", "missing required member 'accessKeyIdSecret'"] {
            #expect(wrong.status == 400 && wrong.body.contains(member), "\(member): \(wrong.body)")
        }
    }
}
