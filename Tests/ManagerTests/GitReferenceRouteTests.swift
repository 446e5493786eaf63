import DelegateProtocol
import Foundation
import ManagerCore
import Testing

/// The manager refuses hostile Git manifest references with a 400 naming the member, in tasks and in plans (issue 21).
@Suite struct GitReferenceRouteTests {
    static func payload(url: String = "https://git.example.com/a.git", ref: String = "main", path: String = "td.yaml") -> String {
        let git: [String: String] = ["store": "git", "url": url, "ref": ref, "path": path]
        let data = (try? JSONSerialization.data(withJSONObject: ["cluster": "c", "manifests": ["taskDefinition": git]], options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: [
        (payload(url: "--upload-pack=touch /tmp/pwned"), "member 'payload.manifests.taskDefinition.url' must not begin with '-'"),
        (payload(ref: "--upload-pack=touch /tmp/pwned"), "member 'payload.manifests.taskDefinition.ref' must not begin with '-'"),
        (payload(url: "ext::sh -c touch% /tmp/pwned"), "member 'payload.manifests.taskDefinition.url' must not contain white space"),
        (payload(url: "ext::sh"), "member 'payload.manifests.taskDefinition.url' must be an https:// URL"),
        (payload(url: "file:///tmp/repo"), "member 'payload.manifests.taskDefinition.url' must be an https:// URL"),
        (payload(url: "/tmp/repo"), "member 'payload.manifests.taskDefinition.url' must be an https:// URL"),
        (payload(url: "ssh://-oProxyCommand=touch/r"), "member 'payload.manifests.taskDefinition.url' must not have a host beginning with '-'"),
        (payload(path: "../../etc/passwd"), "member 'payload.manifests.taskDefinition.path' must not contain '..'"),
    ])
    func aTaskWithAHostileReferenceIsRefused(payload: String, expected: String) async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        _ = try await m.register(types: ["ecs.rolling.deploy"])
        let (status, error) = try await m.post("/v1/tasks", raw: #"{"type": "ecs.rolling.deploy", "selectors": [], "payload": \#(payload)}"#)
        #expect(status == 400 && error?.code == "invalid")
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(try await m.client.tasks().isEmpty, "nothing was queued")
    }

    @Test func aPlanWithAHostileReferenceIsRefused() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        _ = try await m.register(types: ["ecs.rolling.deploy", "ecs.rolling.rollback"])
        let step = #"{"id": "p/rolling-deploy", "name": "Rolling Deploy", "type": "ecs.rolling.deploy", "payload": \#(Self.payload(ref: "-u"))}"#
        let body = #"{"plan": {"pipeline": "p", "connector": "c", "timeoutSeconds": 60, "steps": [\#(step)]}}"#
        let (status, error) = try await m.post("/v1/executions", raw: body)
        #expect(status == 400 && error?.code == "invalid")
        #expect(error?.message.contains("member 'plan.steps[0].payload.manifests.taskDefinition.ref' must not begin with '-'") == true, "\(error?.message ?? "")")
        let (listed, list) = try await m.send("GET", "/v1/executions")
        #expect(listed == 200 && list.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "no execution was created: \(list)")
    }
}

/// `TaskIdentifier.forStep`: the id a step's task is queued under, the same after a crash and a restart.
@Suite struct StepTaskIdentifierTests {
    @Test func theSameRunGetsTheSameIdAndOtherRunsOthers() {
        let a = TaskIdentifier.forStep(execution: "exec-1", ordinal: 0, key: "step:p/run-task")
        #expect(a == TaskIdentifier.forStep(execution: "exec-1", ordinal: 0, key: "step:p/run-task"))
        let others = [
            TaskIdentifier.forStep(execution: "exec-2", ordinal: 0, key: "step:p/run-task"),
            TaskIdentifier.forStep(execution: "exec-1", ordinal: 1, key: "step:p/run-task"),
            TaskIdentifier.forStep(execution: "exec-1", ordinal: 0, key: "rollback:p/run-task"),
        ]
        #expect(Set(others + [a]).count == 4)
        // Shaped like every other task id: task- and a UUID (version 8).
        let uuid = String(a.dropFirst(5))
        #expect(a.hasPrefix("task-") && UUID(uuidString: uuid) != nil && uuid.count == 36 && Array(uuid)[14] == "8", "\(a)")
    }
}
