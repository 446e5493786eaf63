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

    /// Expands `file`'s steps (or its strategy's) in order with their rollbacks, each payload built from its step's contract type.
    public init(_ file: PipelineFile) {
        pipeline = file.name
        connector = file.connector
        artifactConnector = file.artifactSource?.connector
        timeoutSeconds = file.timeoutSeconds
        steps = PlanBuilder(file).steps()
    }
}

/// Builds a plan's steps from a pipeline file's steps: ids and names, each payload a `StepContracts` type, each rollback beside its step.
private struct PlanBuilder {
    let file: PipelineFile
    let cluster: String
    let variables: [String: JSONValue]?
    /// Steps that render a task definition resolve the artifact (and pin its digest) on the delegate.
    let artifact: ArtifactRequest?

    init(_ file: PipelineFile) {
        self.file = file
        cluster = file.cluster
        variables = file.expressionVariables.isEmpty ? nil : file.expressionVariables
        artifact = file.artifactSource.map { ArtifactRequest(image: $0.image, tag: $0.tag, pinDigest: $0.pinDigest) }
    }

    /// A manifest reference the reader required (`PipelineStep.Kind.requiredManifests`).
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
        var planned: [PlannedStep] = []
        var used: Set<String> = []
        /// The blue/green create step the later blue/green steps belong to: its id files their snapshots, its rollback undoes them all.
        var blueGreen: (id: String, rollback: PlannedRollback)?
        for step in file.steps {
            var base = step.id ?? step.kind.defaultId(step.options)
            if step.id == nil, used.contains(base) {
                var n = 2
                while used.contains("\(base)-\(n)") { n += 1 }
                base = "\(base)-\(n)"
            }
            used.insert(base)
            let id = "\(file.name)/\(base)"
            let name = step.name ?? step.kind.defaultName(step.options)
            let target = StepTarget(cluster: cluster, stepId: id)
            switch step.kind {
            case .rollingDeploy:
                let deploy = RollingDeployPayload(
                    cluster: cluster, manifests: serviceManifests(scaling: true), variables: variables, artifact: artifact,
                    sameAsAlreadyRunningInstances: step.bool("sameAsAlreadyRunningInstances"), forceNewDeployment: step.bool("forceNewDeployment"), stepId: id)
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: payload(deploy, step.wait),
                                           rollback: PlannedRollback(name: "Rolling Rollback", type: .rollingRollback, payload: payload(target, step.wait))))
            case .canaryDeploy:
                let canary = CanaryDeployPayload(cluster: cluster, manifests: serviceManifests(scaling: false), variables: variables, artifact: artifact,
                                                 desiredCount: step.integer("desiredCount"), stepId: id)
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: payload(canary, step.wait),
                                           rollback: PlannedRollback(name: "Canary Delete", type: .canaryDelete, payload: payload(CanaryDeletePayload(cluster: cluster, stepId: id)))))
            case .canaryDelete:
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: payload(CanaryDeletePayload(cluster: cluster, stepId: id)), rollback: nil))
            case .blueGreenCreate:
                let create = BlueGreenCreatePayload(
                    cluster: cluster, manifests: serviceManifests(scaling: true), variables: variables, artifact: artifact,
                    loadBalancer: step.string("loadBalancer") ?? "", prodListener: step.string("prodListener") ?? "", prodListenerRule: step.string("prodListenerRule"),
                    stageListener: step.string("stageListener") ?? "", stageListenerRule: step.string("stageListenerRule"),
                    sameAsAlreadyRunningInstances: step.bool("sameAsAlreadyRunningInstances"), stepId: id)
                let rollback = PlannedRollback(name: "Blue Green Rollback", type: .blueGreenRollback, payload: payload(target, step.wait), group: id)
                blueGreen = (id, rollback)
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: payload(create, step.wait), rollback: rollback))
            case .blueGreenSwap:
                // The reader put a blue/green create before every swap and shift.
                let createId = blueGreen?.id ?? id
                let swap = BlueGreenSwapOptions(doNotDownsizeOldService: step.bool("doNotDownsizeOldService"), downsizeDelaySeconds: step.integer("downsizeDelaySeconds"), stepId: createId)
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: payload(StepTarget(cluster: cluster, stepId: createId), swap, step.wait),
                                           rollback: blueGreen?.rollback))
            case .shiftTraffic:
                let createId = blueGreen?.id ?? id
                let shift = ShiftTrafficOptions(weight: step.integer("weight") ?? 0, stepId: createId)
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: payload(StepTarget(cluster: cluster, stepId: createId), shift),
                                           rollback: blueGreen?.rollback))
            case .runTask:
                let runTask = RunTaskPayload(
                    cluster: cluster, manifests: RunTaskManifests(taskDefinition: manifest("taskDefinition"), runTaskRequest: manifest("runTaskRequest")),
                    variables: variables, artifact: artifact, skipSteadyStateCheck: step.bool("skipSteadyStateCheck"), waitForCompletion: step.bool("waitForCompletion"),
                    timeoutSeconds: file.timeoutSeconds, stepId: id)
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: payload(runTask), rollback: nil))
            case .scale:
                let scale = ServiceScalePayload(cluster: cluster, serviceName: step.string("serviceName") ?? "", desiredCount: step.integer("desiredCount") ?? 0, stepId: id)
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: payload(scale, step.wait),
                                           rollback: PlannedRollback(name: "Scale Rollback", type: .serviceScaleRollback, payload: payload(target, step.wait))))
            case .verify:
                let check = step.verifyKind.payload(step, cluster: cluster, stepId: id, defaultURL: blueGreen == nil ? nil : VerifyKind.defaultBlueGreenURL)
                planned.append(PlannedStep(id: id, name: name, type: step.taskType, payload: payload(check), rollback: nil))
            case .approval, .wait:
                planned.append(PlannedStep(id: id, name: name, type: step.kind.taskType, payload: .object([:]), rollback: nil, gate: step.gate))
            }
            planned[planned.count - 1].onFailure = step.onFailure
        }
        return planned
    }
}

extension PipelinePlan {
    /// The plan as people read it: one line a step (number, name, id, task type, what undoes it) and its own payload members.
    ///
    /// What `ecs-manager run FILE --dry-run` prints; manifest references are shown by their path, not their content.
    public var outline: String {
        var out = "pipeline \(pipeline): \(steps.count) step\(steps.count == 1 ? "" : "s"), connector \(connector)\(artifactConnector.map { ", artifact from \($0)" } ?? "")\n"
        for (i, step) in steps.enumerated() {
            if let gate = step.gate {
                out += "\(i + 1). \(step.name)  [\(step.id)]  \(step.type)  \(gate.outline)\n"
                continue
            }
            let undo = step.rollback.map { "rolled back by \($0.name) (\($0.type))\($0.group.map { " for \($0)" } ?? "")" } ?? "nothing to roll back"
            out += "\(i + 1). \(step.name)  [\(step.id)]  \(step.type)  \(undo)\n"
            let members = (step.payload.objectValue ?? [:]).filter { !["manifests", "variables", "artifact", "cluster", "stepId"].contains($0.key) }
            if !members.isEmpty {
                out += "   " + members.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.jsonString)" }.joined(separator: " ") + "\n"
            }
        }
        return out
    }

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
            if (step.gate != nil) != TaskType.gates.contains(step.type) || step.gate.map({ ($0.kind == .approval) != (step.type == .approvalGate) }) == true {
                return "member 'plan.steps[\(i)]': types \(TaskType.gates.map(\.rawValue).joined(separator: " and ")) are the gates', and a gate has its own"
            }
            if let why = step.gate?.problem { return "member 'plan.steps[\(i)].gate': \(why)" }
            if step.gate != nil, case .retry = step.onFailure { return "member 'plan.steps[\(i)].onFailure': a gate cannot be retried" }
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
    /// What the execution does when it fails (nil: roll back).
    public var onFailure: FailureStrategy?
    /// For a step that runs on the manager (approval, wait): the gate; it submits no task.
    public var gate: PlannedGate?

    /// Creates a step.
    public init(id: String, name: String, type: TaskType, payload: JSONValue, rollback: PlannedRollback?, onFailure: FailureStrategy? = nil, gate: PlannedGate? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.payload = payload
        self.rollback = rollback
        self.onFailure = onFailure
        self.gate = gate
    }
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
