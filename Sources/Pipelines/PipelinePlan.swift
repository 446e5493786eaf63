import DelegateProtocol
import Manifests

/// A pipeline expanded into the tasks it runs, each with the task that undoes it.
public struct PipelinePlan: Codable, Sendable, Equatable {
    public var pipeline: String
    public var connector: String
    /// The stored `dockerRegistry` connector every task of the plan carries beside `connector`, when the artifact comes from one.
    public var artifactConnector: String?
    public var timeoutSeconds: Int
    public var steps: [PlannedStep]

    /// Expands `file`'s strategy into its steps (in order) and their rollbacks.
    public init(_ file: PipelineFile) {
        pipeline = file.name
        connector = file.connector
        artifactConnector = file.artifactSource?.connector
        timeoutSeconds = file.timeoutSeconds
        var base: [String: JSONValue] = ["cluster": .string(file.cluster)]
        if !file.expressionVariables.isEmpty { base["variables"] = .object(file.expressionVariables) }
        // Steps that render a task definition resolve the artifact (and pin its digest) on the delegate.
        let artifact: [String: JSONValue] = file.artifactSource.map { ["artifact": $0.payload] } ?? [:]
        let o = file.strategy.options
        func manifests(_ keys: [String]) -> JSONValue {
            var m: [String: JSONValue] = [:]
            for k in keys { if let v = file.manifests[k] { m[k] = v } }
            return .object(m)
        }
        func payload(_ extra: [String: JSONValue], options keys: [String] = []) -> JSONValue {
            var p = base
            for (k, v) in extra { p[k] = v }
            for k in keys { if let v = o[k] { p[k] = v } }
            return .object(p)
        }
        func id(_ name: String) -> String { "\(file.name)/\(name)" }
        let service = manifests(["taskDefinition", "serviceDefinition", "scalableTargets", "scalingPolicies"])
        let rollingRollback = PlannedRollback(name: "Rolling Rollback", type: "ecs.rolling.rollback", payload: payload([:], options: RolloutWaitOptions.members))
        let lbOptions = ["loadBalancer", "prodListener", "prodListenerRule", "stageListener", "stageListenerRule", "sameAsAlreadyRunningInstances"] + RolloutWaitOptions.members
        switch file.strategy.kind {
        case .rolling:
            steps = [PlannedStep(id: id("rolling-deploy"), name: "Rolling Deploy", type: "ecs.rolling.deploy",
                                 payload: payload(["manifests": service].merging(artifact) { a, _ in a }, options: ["sameAsAlreadyRunningInstances", "forceNewDeployment"] + RolloutWaitOptions.members),
                                 rollback: rollingRollback)]
        case .canary:
            var canary = payload(["manifests": manifests(["taskDefinition", "serviceDefinition"])].merging(artifact) { a, _ in a }, options: RolloutWaitOptions.members)
            if let n = o["canaryDesiredCount"] { canary["desiredCount"] = n }
            steps = [
                PlannedStep(id: id("canary-deploy"), name: "Canary Deploy", type: "ecs.canary.deploy", payload: canary,
                            rollback: PlannedRollback(name: "Canary Delete", type: "ecs.canary.delete", payload: payload([:]))),
                PlannedStep(id: id("canary-delete"), name: "Canary Delete", type: "ecs.canary.delete", payload: payload([:]), rollback: nil),
                PlannedStep(id: id("rolling-deploy"), name: "Rolling Deploy", type: "ecs.rolling.deploy",
                            payload: payload(["manifests": service].merging(artifact) { a, _ in a }, options: ["sameAsAlreadyRunningInstances", "forceNewDeployment"] + RolloutWaitOptions.members),
                            rollback: rollingRollback),
            ]
        case .blueGreen, .blueGreenTrafficShift:
            // Every blue/green step files its snapshot under the create step's id: one rollback undoes them all.
            let createId = id("bluegreen-create")
            var withStep = payload(["manifests": service].merging(artifact) { a, _ in a }, options: lbOptions)
            withStep["stepId"] = .string(createId)
            let rollback = PlannedRollback(name: "Blue Green Rollback", type: "ecs.bluegreen.rollback", payload: payload(["stepId": .string(createId)], options: RolloutWaitOptions.members), group: createId)
            steps = [PlannedStep(id: createId, name: "Blue Green Create Service", type: "ecs.bluegreen.create", payload: withStep, rollback: rollback)]
            if file.strategy.kind == .blueGreen {
                steps.append(PlannedStep(id: id("bluegreen-swap"), name: "Blue Green Swap Target", type: "ecs.bluegreen.swap",
                                         payload: payload(["stepId": .string(createId)], options: ["doNotDownsizeOldService", "downsizeDelaySeconds"] + RolloutWaitOptions.members), rollback: rollback))
            } else {
                for w in o["weights"]?.arrayValue?.compactMap(\.intValue) ?? [] {
                    steps.append(PlannedStep(id: id("shift-\(w)"), name: "Shift Traffic \(w)%", type: "ecs.bluegreen.shiftTraffic",
                                             payload: payload(["stepId": .string(createId), "weight": .number(Double(w))]), rollback: rollback))
                }
            }
        case .runTask:
            steps = [PlannedStep(id: id("run-task"), name: "Run Task", type: "ecs.runTask",
                                 payload: payload(["manifests": manifests(["taskDefinition", "runTaskRequest"]), "timeoutSeconds": .number(Double(file.timeoutSeconds))].merging(artifact) { a, _ in a }, options: ["skipSteadyStateCheck", "waitForCompletion"]),
                                 rollback: nil)]
        }
        for i in steps.indices where steps[i].payload["stepId"] == nil {
            steps[i].payload["stepId"] = .string(steps[i].id)
        }
    }
}

extension PipelinePlan {
    /// The most steps a plan may have (a traffic shift of 1% steps has 101).
    public static let maxSteps = 128

    /// Why a plan received from a client cannot run, or nil: a plan is input like any other.
    public var problem: String? {
        if steps.isEmpty { return "the pipeline has no steps" }
        if steps.count > Self.maxSteps { return "the pipeline has \(steps.count) steps; at most \(Self.maxSteps)" }
        if Set(steps.map(\.id)).count != steps.count { return "the pipeline's step ids are not unique" }
        if let why = Identifiers.nameProblem(pipeline) { return "member 'plan.pipeline': \(why)" }
        if let a = artifactConnector, let why = Identifiers.nameProblem(a) { return "member 'plan.artifactConnector': \(why)" }
        for (i, step) in steps.enumerated() {
            if let e = GitSource.problem(inPayload: step.payload) { return "member 'plan.steps[\(i)].payload.\(e.member)' \(e.message)" }
            if let rollback = step.rollback, let e = GitSource.problem(inPayload: rollback.payload) {
                return "member 'plan.steps[\(i)].rollback.payload.\(e.member)' \(e.message)"
            }
        }
        return nil
    }
}

/// One forward step of a plan.
public struct PlannedStep: Codable, Sendable, Equatable {
    /// Unique in the plan; also the step id its snapshot is filed under (unless the payload names another).
    public var id: String
    /// The heading its log shows under.
    public var name: String
    public var type: String
    /// The step's own payload; the outputs of the steps before it are merged under it when it runs.
    public var payload: JSONValue
    /// What undoes it (nil: nothing to undo).
    public var rollback: PlannedRollback?
}

/// The task that undoes a step.
public struct PlannedRollback: Codable, Sendable, Equatable {
    public var name: String
    public var type: String
    public var payload: JSONValue
    /// Steps whose rollbacks share a group are undone by one task (blue/green's create, swap and shifts).
    public var group: String?

    /// Creates a rollback.
    public init(name: String, type: String, payload: JSONValue, group: String? = nil) {
        self.name = name
        self.type = type
        self.payload = payload
        self.group = group
    }
}
