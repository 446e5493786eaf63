import DelegateProtocol
import Manifests
import StepContracts

/// A pipeline expanded into the tasks it runs, each with the task that undoes it.
public struct PipelinePlan: Codable, Sendable, Equatable {
    public var pipeline: String
    public var connector: String
    /// The stored `dockerRegistry` connector every task of the plan carries beside `connector`, when the artifact comes from one.
    public var artifactConnector: String?
    public var timeoutSeconds: Int
    public var steps: [PlannedStep]

    /// Expands `file`'s strategy into its steps (in order) and their rollbacks, each payload built from its step's contract type.
    public init(_ file: PipelineFile) {
        pipeline = file.name
        connector = file.connector
        artifactConnector = file.artifactSource?.connector
        timeoutSeconds = file.timeoutSeconds
        steps = PlanBuilder(file).steps()
    }
}

/// Builds a plan's steps from a pipeline file: the strategy's options read once, each payload a `StepContracts` type.
private struct PlanBuilder {
    let file: PipelineFile
    let strategy: PipelineStrategy
    let cluster: String
    let variables: [String: JSONValue]?
    /// Steps that render a task definition resolve the artifact (and pin its digest) on the delegate.
    let artifact: ArtifactRequest?
    let wait: RolloutWait

    init(_ file: PipelineFile) {
        self.file = file
        strategy = file.strategy
        cluster = file.cluster
        variables = file.expressionVariables.isEmpty ? nil : file.expressionVariables
        artifact = file.artifactSource.map { ArtifactRequest(image: $0.image, tag: $0.tag, pinDigest: $0.pinDigest) }
        wait = RolloutWait(steadyStateTimeoutSeconds: file.strategy.integer(RolloutWait.timeoutMember), failFast: file.strategy.bool(RolloutWait.failFastMember))
    }

    /// `name` qualified by the pipeline: the step's id.
    func id(_ name: String) -> String { "\(file.name)/\(name)" }

    /// A manifest reference the reader required (`PipelineStrategy.requiredManifests`).
    func manifest(_ key: String) -> JSONValue { file.manifests[key] ?? .null }

    /// The service's manifests; the scaling ones only where the step applies them.
    func serviceManifests(scaling: Bool) -> ServiceManifests {
        ServiceManifests(
            taskDefinition: manifest("taskDefinition"), serviceDefinition: manifest("serviceDefinition"),
            scalableTargets: scaling ? file.manifests["scalableTargets"]?.arrayValue : nil,
            scalingPolicies: scaling ? file.manifests["scalingPolicies"]?.arrayValue : nil)
    }

    /// `pieces` as one payload object (a step decodes each piece from it).
    func payload(_ pieces: any Encodable...) -> JSONValue {
        // Encoding these plain value types cannot fail; an empty object would be refused by the step, never run wrongly.
        (try? JSONValue.object(merging: pieces)) ?? .object([:])
    }

    func steps() -> [PlannedStep] {
        let o = strategy
        switch strategy.kind {
        case .rolling:
            return [rollingDeploy(stepId: id("rolling-deploy"))]
        case .canary:
            let deployId = id("canary-deploy"), deleteId = id("canary-delete")
            let canary = CanaryDeployPayload(cluster: cluster, manifests: serviceManifests(scaling: false), variables: variables, artifact: artifact,
                                             desiredCount: o.integer("canaryDesiredCount"), stepId: deployId)
            return [
                PlannedStep(id: deployId, name: "Canary Deploy", type: .canaryDeploy, payload: payload(canary, wait),
                            rollback: PlannedRollback(name: "Canary Delete", type: .canaryDelete, payload: payload(CanaryDeletePayload(cluster: cluster, stepId: deployId)))),
                PlannedStep(id: deleteId, name: "Canary Delete", type: .canaryDelete, payload: payload(CanaryDeletePayload(cluster: cluster, stepId: deleteId)), rollback: nil),
                rollingDeploy(stepId: id("rolling-deploy")),
            ]
        case .blueGreen, .blueGreenTrafficShift:
            // Every blue/green step files its snapshot under the create step's id: one rollback undoes them all.
            let createId = id("bluegreen-create")
            let create = BlueGreenCreatePayload(
                cluster: cluster, manifests: serviceManifests(scaling: true), variables: variables, artifact: artifact,
                loadBalancer: o.string("loadBalancer") ?? "", prodListener: o.string("prodListener") ?? "", prodListenerRule: o.string("prodListenerRule"),
                stageListener: o.string("stageListener") ?? "", stageListenerRule: o.string("stageListenerRule"),
                sameAsAlreadyRunningInstances: o.bool("sameAsAlreadyRunningInstances"), stepId: createId)
            let rollback = PlannedRollback(name: "Blue Green Rollback", type: .blueGreenRollback,
                                           payload: payload(StepTarget(cluster: cluster, stepId: createId), wait), group: createId)
            var steps = [PlannedStep(id: createId, name: "Blue Green Create Service", type: .blueGreenCreate, payload: payload(create, wait), rollback: rollback)]
            if strategy.kind == .blueGreen {
                let swap = BlueGreenSwapOptions(doNotDownsizeOldService: o.bool("doNotDownsizeOldService"), downsizeDelaySeconds: o.integer("downsizeDelaySeconds"), stepId: createId)
                steps.append(PlannedStep(id: id("bluegreen-swap"), name: "Blue Green Swap Target", type: .blueGreenSwap,
                                         payload: payload(StepTarget(cluster: cluster, stepId: createId), swap, wait), rollback: rollback))
            } else {
                for w in o.percentList("weights") {
                    steps.append(PlannedStep(id: id("shift-\(w)"), name: "Shift Traffic \(w)%", type: .blueGreenShiftTraffic,
                                             payload: payload(StepTarget(cluster: cluster, stepId: createId), ShiftTrafficOptions(weight: w, stepId: createId)), rollback: rollback))
                }
            }
            return steps
        case .runTask:
            let runTask = RunTaskPayload(
                cluster: cluster, manifests: RunTaskManifests(taskDefinition: manifest("taskDefinition"), runTaskRequest: manifest("runTaskRequest")),
                variables: variables, artifact: artifact, skipSteadyStateCheck: o.bool("skipSteadyStateCheck"), waitForCompletion: o.bool("waitForCompletion"),
                timeoutSeconds: file.timeoutSeconds, stepId: id("run-task"))
            return [PlannedStep(id: id("run-task"), name: "Run Task", type: .runTask, payload: payload(runTask), rollback: nil)]
        }
    }

    /// The rolling deployment (alone, or after the canary) and its rollback.
    func rollingDeploy(stepId: String) -> PlannedStep {
        let deploy = RollingDeployPayload(
            cluster: cluster, manifests: serviceManifests(scaling: true), variables: variables, artifact: artifact,
            sameAsAlreadyRunningInstances: strategy.bool("sameAsAlreadyRunningInstances"), forceNewDeployment: strategy.bool("forceNewDeployment"), stepId: stepId)
        let rollback = PlannedRollback(name: "Rolling Rollback", type: .rollingRollback, payload: payload(StepTarget(cluster: cluster, stepId: stepId), wait))
        return PlannedStep(id: stepId, name: "Rolling Deploy", type: .rollingDeploy, payload: payload(deploy, wait), rollback: rollback)
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
    public var type: TaskType
    /// The step's own payload; the outputs of the steps before it are merged under it when it runs.
    public var payload: JSONValue
    /// What undoes it (nil: nothing to undo).
    public var rollback: PlannedRollback?
}

/// The task that undoes a step.
public struct PlannedRollback: Codable, Sendable, Equatable {
    public var name: String
    public var type: TaskType
    public var payload: JSONValue
    /// Steps whose rollbacks share a group are undone by one task (blue/green's create, swap and shifts).
    public var group: String?

    /// Creates a rollback.
    public init(name: String, type: TaskType, payload: JSONValue, group: String? = nil) {
        self.name = name
        self.type = type
        self.payload = payload
        self.group = group
    }
}
