import DelegateProtocol
import DelegateRuntime
import Foundation
import AWSServices
import HTTPClient
import StepContracts
import Testing
import ECSSteps

/// The step kit without an agent: payload decoding, the snapshot-before-change order and the one failure mapping.
@Suite struct StepKitTests {
    /// A step that records a snapshot, then changes two things, then fails as told.
    struct ScriptedStep: ECSStep {
        static let type = TaskType("test.scripted")
        static let noun = "deployment"
        struct Payload: StepPayload {
            var cluster: String
            var count: Int?
            var failWith: String?
            func validate() throws(PayloadProblem) { try PayloadCheck.range(count, 0...10, "count") }
        }

        func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
            if p.failWith == "early" { throw TaskError(code: "invalid_manifest", message: "bad manifest; nothing was changed in AWS") }
            run.log.log("recording", unit: "Prepare Rollback Data")
            try run.recordSnapshot(kind: .scale, stepId: nil, cluster: p.cluster, service: "web", body: ["desiredCount": 2])
            run.journal.record("registered task definition web:2")
            run.journal.record("updated service web")
            switch p.failWith {
            case "cancel": throw CancellationError()
            case "aws": throw TaskError(code: "ecs.timeout", message: "service web did not reach steady state")
            default: return ["count": .number(Double(p.count ?? 0))]
            }
        }
    }

    func run(_ payload: JSONValue, executionId: String = "e1") async throws -> (Result<TaskOutcome, Error>, [String], DelegateStore) {
        let store = try DelegateStore(directory: NSTemporaryDirectory() + "kit-\(UUID().uuidString.prefix(8))")
        let env = StepEnvironment(http: HTTPClient(), store: store)
        let envelope = TaskEnvelope(taskId: "t1", leaseId: "l1", type: ScriptedStep.type.rawValue, selectors: [], timeoutSeconds: 60, executionId: executionId, payload: payload)
        let context = TaskContext.standalone(envelope: envelope)
        let handler = StepHandler(step: ScriptedStep(), env: env)
        let result: Result<TaskOutcome, Error>
        do { result = .success(try await handler.run(context)) } catch { result = .failure(error) }
        return (result, context.log.takeLines().map(\.text), store)
    }

    @Test func payloadErrorsNameTheMemberAndTheTaskType() async throws {
        let (missing, _, _) = try await run(["count": 1])
        #expect(throws: TaskError(code: "invalid_payload", message: "test.scripted: missing required member 'cluster'")) { try missing.get() }
        let (range, _, _) = try await run(["cluster": "c", "count": 11])
        #expect(throws: TaskError(code: "invalid_payload", message: "test.scripted: payload member 'count' must be from 0 to 10, got 11")) { try range.get() }
        let (huge, _, _) = try await run(["cluster": "c", "count": 1e20])
        #expect(throws: (any Error).self) { try huge.get() }
        if case .failure(let e as TaskError) = huge { #expect(e.code == "invalid_payload" && e.message.contains("count"), "\(e.message)") }
    }

    @Test func successCarriesOutputsAndTheSnapshotWrittenBeforeTheChanges() async throws {
        let (result, lines, store) = try await run(["cluster": "c", "count": 3])
        let outcome = try result.get()
        #expect(outcome.outputs["count"] == 3)
        #expect(outcome.rollbackSnapshot == ["desiredCount": 2])
        #expect(lines == ["recording"])
        let saved = try store.snapshot(SnapshotKey(executionId: "e1", stepId: "scale/c/web"))
        #expect(saved?.kind == .scale && saved?.snapshot == ["desiredCount": 2])
    }

    @Test func failuresSayWhatWasAlreadyChangedAndCarryTheSnapshot() async throws {
        let (failed, _, _) = try await run(["cluster": "c", "failWith": "aws"])
        guard case .failure(let f as TaskFailure) = failed else { Issue.record("expected a TaskFailure, got \(failed)"); return }
        #expect(f.status == .failed)
        #expect(f.error == TaskError(code: "ecs.timeout", message: "service web did not reach steady state (already changed: registered task definition web:2; updated service web)"))
        #expect(f.rollbackSnapshot == ["desiredCount": 2])

        let (cancelled, _, _) = try await run(["cluster": "c", "failWith": "cancel"])
        guard case .failure(let c as TaskFailure) = cancelled else { Issue.record("expected a TaskFailure"); return }
        #expect(c.status == .cancelled)
        #expect(c.error.message == "the deployment was cancelled; already changed: registered task definition web:2; updated service web")
    }

    @Test func failuresBeforeTheFirstChangePassThroughAsTheyAre() async throws {
        let (early, _, _) = try await run(["cluster": "c", "failWith": "early"])
        #expect(throws: TaskError(code: "invalid_manifest", message: "bad manifest; nothing was changed in AWS")) { try early.get() }
    }

    @Test func pollersAreSharedPerConnectorWithoutSecretsAndDroppedWhenIdle() throws {
        let store = try DelegateStore(directory: NSTemporaryDirectory() + "kit-\(UUID().uuidString.prefix(8))")
        let env = StepEnvironment(http: HTTPClient(), store: store, environment: [:], pollerIdleLimit: .milliseconds(1))
        let a: JSONValue = ["aws": ["region": "us-east-1", "credentials": ["kind": "static", "accessKeyId": "AKID", "secretAccessKey": "s3cr3t-value"]]]
        let key = ConnectorIdentity.key(try wire(a).aws)
        #expect(!key.contains("s3cr3t-value") && !key.contains("AKID"))
        #expect(key != ConnectorIdentity.key(try wire(["aws": ["region": "us-east-1", "credentials": ["kind": "static", "accessKeyId": "AKID", "secretAccessKey": "other"]]]).aws))
        let clients = try AWSClients(connector: try AWSConnector(a), http: HTTPClient(), logger: .init(label: "t"), environment: [:])
        _ = env.poller(for: clients, connector: try wire(a))
        #expect(env.pollerCount == 1)
        Thread.sleep(forTimeInterval: 0.01)
        _ = env.poller(for: clients, connector: try wire(["aws": ["region": "eu-west-1"]]))
        #expect(env.pollerCount == 1, "the idle poller was dropped")
    }
}

/// Numbers in AWS answers and snapshots that once could trap.
@Suite struct UntrustedWeightsTests {
    @Test func forwardWeightsAreClampedToELBsRange() {
        let huge: JSONValue = ["Type": "forward", "ForwardConfig": ["TargetGroups": .array((0..<2048).map { ["TargetGroupArn": .string("tg-\($0)"), "Weight": 9.0e15] })]]
        let targets = ELBRouting.forwardTargets([huge])
        #expect(targets.count == 2048 && targets.allSatisfy { $0.weight == 999 })
        #expect(targets.reduce(0) { $0 + $1.weight } == 2048 * 999)
    }

    @Test func durationsClampWhateverRangeTheCallerGives() {
        #expect(Duration.seconds(clamping: 1e25, to: 0...1e30) > .seconds(1_000_000_000))
        #expect(Duration.seconds(clamping: .nan, to: 0...10) == .zero)
    }

    @Test func pollersAreBoundedByCountWhileNoneIsIdle() throws {
        let store = try DelegateStore(directory: NSTemporaryDirectory() + "kit-\(UUID().uuidString.prefix(8))")
        let env = StepEnvironment(http: HTTPClient(), store: store, environment: [:], pollerIdleLimit: .seconds(3600), maxPollers: 8)
        let first: JSONValue = ["aws": ["region": "us-east-1"]]
        let clients = try AWSClients(connector: try AWSConnector(first), http: HTTPClient(), logger: .init(label: "t"), environment: [:])
        let kept = env.poller(for: clients, connector: try wire(first))
        for i in 0..<200 {
            _ = env.poller(for: clients, connector: try wire(["aws": ["region": "us-east-1", "endpoint": .string("http://127.0.0.1:\(1000 + i)")]]))
            #expect(env.pollerCount <= 8, "at most maxPollers connectors' pollers are held")
            if i % 2 == 0 {
                // The connector in use stays: the least recently used one is dropped, not this one.
                #expect(env.poller(for: clients, connector: try wire(first)) === kept)
            }
        }
        #expect(env.pollerCount == 8)
    }
}

/// A connector as the envelope carries it, parsed the way a step reads it.
private func wire(_ json: JSONValue) throws -> TaskConnector { try TaskConnector.parsed(json) }
