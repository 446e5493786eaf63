import AWSCore
import DelegateProtocol
import DelegateRuntime
import Digests
import Foundation
import StepContracts

/// `ecs.runTask`: registers the task definition and runs it with the run-task request manifest, then waits.
///
/// Payload: `cluster`, `manifests` {`taskDefinition`, `runTaskRequest`},
/// `variables`, `skipSteadyStateCheck` (return once the tasks are started),
/// `waitForCompletion` (wait for STOPPED with every essential container's exit
/// code 0), `timeoutSeconds` (default 600), `stepId`. RunTask carries a
/// `clientToken` derived from the task and its lease, so a retried call never
/// starts the tasks twice. Outputs `taskArns`, `taskDefinitionArn`.
struct RunTaskStep: ECSStep {
    static let type = TaskType.runTask
    static let noun = "run task"

    typealias Payload = RunTaskPayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let log = run.log
        let unit = "Run Task"
        let loader = try await run.manifests(variables: p.variables, artifact: p.artifact)
        let td = try await loader.load(p.manifests.taskDefinition, .taskDefinition, "EcsTaskDefinition")
        let request = try await loader.load(p.manifests.runTaskRequest, .runTaskRequest, "EcsRunTaskRequestDefinition")
        try loader.finish()
        guard let td, var request = request.flatMap(\.objectValue) else {
            throw TaskError(code: "invalid_manifest", message: "the task definition and run task request are required; nothing was changed in AWS")
        }
        let clients = try run.clients()
        let family = td["family"]?.stringValue ?? "?"
        // Nothing a run task starts can be undone; the snapshot still marks where the step began.
        try run.recordSnapshot(kind: .runTask, stepId: p.stepId, cluster: p.cluster, service: family, body: ["cluster": .string(p.cluster), "family": .string(family)])

        let registered = try await run.registerTaskDefinition(td, unit: unit)
        let tdArn = registered.arn

        request["cluster"] = .string(p.cluster)
        request["taskDefinition"] = .string(tdArn)
        request["clientToken"] = .string(RunTaskStep.clientToken(taskId: run.context.envelope.taskId, leaseId: run.context.envelope.leaseId))
        let count = request["count"]?.intValue ?? 1
        log.log("Running \(count) task(s) of \(tdArn) in cluster \(p.cluster)", unit: unit)
        let answer = try await clients.ecs.runTask(.object(request))
        let tasks = answer["tasks"]?.arrayValue ?? []
        let failures = answer["failures"]?.arrayValue ?? []
        let arns = tasks.compactMap { $0["taskArn"]?.stringValue }
        if !arns.isEmpty { run.journal.record("started task(s) \(arns.map(RunTaskTracker.shortId).joined(separator: ", "))") }
        for t in tasks {
            log.log("Started task \(t["taskArn"]?.stringValue ?? "?") (\(t["lastStatus"]?.stringValue ?? "?"))", unit: unit)
        }
        for f in failures {
            log.log("Failed to start a task: \(f["arn"]?.stringValue ?? "") \(f["reason"]?.stringValue ?? "") \(f["detail"]?.stringValue ?? "")", level: "error", unit: unit)
        }
        guard !arns.isEmpty else {
            let reasons = failures.compactMap { $0["reason"]?.stringValue }.joined(separator: "; ")
            throw TaskError(code: "ecs.run_task_failed", message: "RunTask started no task\(reasons.isEmpty ? "" : ": \(reasons)")")
        }
        let outputs = try JSONValue.outputs(RunTaskOutputs(cluster: p.cluster, taskArns: arns, taskDefinitionArn: tdArn))
        if p.skipSteadyStateCheck == true {
            log.log("Skipping the steady state check: \(arns.count) task(s) started", unit: unit)
            return outputs
        }
        let essential = Set((registered.answer["containerDefinitions"]?.arrayValue ?? [])
            .filter { $0["essential"]?.boolValue != false }.compactMap { $0["name"]?.stringValue })
        var tracker = RunTaskTracker(waitForCompletion: p.waitForCompletion == true, essentialContainers: essential)
        let deadline = ContinuousClock.now + .seconds(p.timeoutSeconds ?? 600)
        var interval = Duration.milliseconds(400)
        while true {
            try Task.checkCancellation()
            if log.cancelRequested { throw CancellationError() }
            let described: [JSONValue]
            do {
                described = try await clients.ecs.describeTasks(cluster: p.cluster, tasks: arns, includeTags: false).tasks
            } catch let e as AWSError where e.isThrottling {
                // Throttled for longer than the step may take: the timeout holds here too.
                if ContinuousClock.now >= deadline {
                    throw TaskError(code: "ecs.timeout", message: "the tasks were not seen \(p.waitForCompletion == true ? "complete" : "RUNNING") within \(p.timeoutSeconds ?? 600) s: DescribeTasks stayed throttled (\(e.code))")
                }
                interval = min(interval * 2, .seconds(15))
                try await Task.sleep(for: interval)
                continue
            }
            let (verdict, lines) = tracker.observe(described)
            for l in lines { log.log(l, unit: unit) }
            switch verdict {
            case .done:
                log.log(p.waitForCompletion == true ? "All tasks completed successfully." : "All tasks are running.", unit: unit)
                return outputs
            case .failed(let why):
                throw TaskError(code: "ecs.task_failed", message: why)
            case .waiting:
                break
            }
            if ContinuousClock.now >= deadline {
                throw TaskError(code: "ecs.timeout", message: "the tasks did not \(p.waitForCompletion == true ? "complete" : "reach RUNNING") within \(p.timeoutSeconds ?? 600) s")
            }
            try await Task.sleep(for: interval)
            interval = min(interval * 3 / 2, .seconds(1))
        }
    }

    /// The RunTask idempotency token of one attempt of a task: the same across the client's retries, new for a new lease.
    static func clientToken(taskId: String, leaseId: String) -> String {
        "ecsd-" + String(SHA256Digest.hex("\(taskId)|\(leaseId)").prefix(40))
    }
}
