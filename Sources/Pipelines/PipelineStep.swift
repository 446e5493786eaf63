import DelegateProtocol
import StepContracts

/// One step of a pipeline as its file lists it (`steps:`), or as a strategy expands to: a kind, its options, and how it is named.
///
/// ```yaml
/// steps:
///   - {type: blueGreenCreate, loadBalancer: alb, prodListener: "80", stageListener: "8080"}
///   - {type: shiftTraffic, weight: 50, name: Half}
///   - {type: shiftTraffic, weight: 100}
/// ```
public struct PipelineStep: Sendable, Equatable {
    /// What a step does: the deploy steps a pipeline may list.
    public enum Kind: String, Sendable, CaseIterable {
        case rollingDeploy, canaryDeploy, canaryDelete, blueGreenCreate, blueGreenSwap, shiftTraffic, runTask, scale
        /// Gates: the manager holds the execution (`PlannedGate`).
        case approval, wait
        /// A check the delegate runs inside the user's network (`VerifyKind`): it changes nothing.
        case verify

        /// Whether the step is a gate the manager runs (no task, no rollback).
        public var isGate: Bool { self == .approval || self == .wait }

        /// The task type the step runs.
        public var taskType: TaskType {
            switch self {
            case .rollingDeploy: return .rollingDeploy
            case .canaryDeploy: return .canaryDeploy
            case .canaryDelete: return .canaryDelete
            case .blueGreenCreate: return .blueGreenCreate
            case .blueGreenSwap: return .blueGreenSwap
            case .shiftTraffic: return .blueGreenShiftTraffic
            case .runTask: return .runTask
            case .scale: return .serviceScale
            case .approval: return .approvalGate
            case .wait: return .waitGate
            case .verify: return .verifyHTTP
            }
        }

        /// The heading a step of this kind shows when the file names none (the tutorial's step names).
        func defaultName(_ options: [String: JSONValue]) -> String {
            switch self {
            case .rollingDeploy: return "Rolling Deploy"
            case .canaryDeploy: return "Canary Deploy"
            case .canaryDelete: return "Canary Delete"
            case .blueGreenCreate: return "Blue Green Create Service"
            case .blueGreenSwap: return "Blue Green Swap Target"
            case .shiftTraffic: return "Shift Traffic \(options["weight"]?.intValue ?? 0)%"
            case .runTask: return "Run Task"
            case .scale: return "Scale Service"
            case .approval: return "Approval"
            case .wait: return "Wait \(options["seconds"]?.intValue ?? 0) s"
            case .verify: return (options["kind"]?.stringValue.flatMap(VerifyKind.init(rawValue:)) ?? .http).defaultName
            }
        }

        /// The id a step of this kind gets when the file names none (before the pipeline's name and any `-2` that keeps it unique).
        func defaultId(_ options: [String: JSONValue]) -> String {
            switch self {
            case .rollingDeploy: return "rolling-deploy"
            case .canaryDeploy: return "canary-deploy"
            case .canaryDelete: return "canary-delete"
            case .blueGreenCreate: return "bluegreen-create"
            case .blueGreenSwap: return "bluegreen-swap"
            case .shiftTraffic: return "shift-\(options["weight"]?.intValue ?? 0)"
            case .runTask: return "run-task"
            case .scale: return "scale"
            case .approval: return "approval"
            case .wait: return "wait"
            case .verify: return "verify-" + (options["kind"]?.stringValue.flatMap(VerifyKind.init(rawValue:)) ?? .http).idSuffix
            }
        }

        /// The options a step of this kind takes, and which it requires.
        var allowedOptions: (options: [String: PipelineStrategy.OptionType], required: [String]) {
            let wait = PipelineStrategy.waitOptions
            switch self {
            case .rollingDeploy:
                return (["sameAsAlreadyRunningInstances": .bool, "forceNewDeployment": .bool].merging(wait) { a, _ in a }, [])
            case .canaryDeploy:
                return (["desiredCount": .integer(1...1000)].merging(wait) { a, _ in a }, [])
            case .canaryDelete:
                return ([:], [])
            case .blueGreenCreate:
                return (PipelineStrategy.loadBalancerOptions, PipelineStrategy.loadBalancerRequired)
            case .blueGreenSwap:
                return (["doNotDownsizeOldService": .bool, "downsizeDelaySeconds": .integer(0...3600)].merging(wait) { a, _ in a }, [])
            case .shiftTraffic:
                return (["weight": .integer(0...100)], ["weight"])
            case .runTask:
                return (["skipSteadyStateCheck": .bool, "waitForCompletion": .bool], [])
            case .scale:
                return (["serviceName": .string, "desiredCount": .integer(0...ServiceScalePayload.maxDesiredCount)].merging(wait) { a, _ in a }, ["serviceName", "desiredCount"])
            case .approval:
                return (["message": .string, "timeoutSeconds": .integer(PlannedGate.approvalTimeoutRange), "onTimeout": .choice(PlannedGate.TimeoutOutcome.allCases.map(\.rawValue))], [])
            case .wait:
                return (["seconds": .integer(PlannedGate.waitRange)], ["seconds"])
            case .verify:
                return (VerifyKind.allOptions.merging(["kind": .choice(VerifyKind.allCases.map(\.rawValue))]) { a, _ in a }, [])
            }
        }

        /// The manifests a step of this kind renders.
        var requiredManifests: [String] {
            switch self {
            case .rollingDeploy, .canaryDeploy, .blueGreenCreate: return ["taskDefinition", "serviceDefinition"]
            case .runTask: return ["taskDefinition", "runTaskRequest"]
            case .canaryDelete, .blueGreenSwap, .shiftTraffic, .scale, .approval, .wait, .verify: return []
            }
        }

        /// The kind of step that must come earlier in the list for this one to have what it works on.
        var needsEarlier: Kind? {
            switch self {
            case .canaryDelete: return .canaryDeploy
            case .blueGreenSwap, .shiftTraffic: return .blueGreenCreate
            default: return nil
            }
        }
    }

    public var kind: Kind
    /// The heading its log shows under (nil: the kind's default).
    public var name: String?
    /// Its id within the pipeline (nil: the kind's default); the plan prefixes the pipeline's name.
    public var id: String?
    /// The options as given (checked against `Kind.allowedOptions`).
    public var options: [String: JSONValue]
    /// What the execution does when this step fails (nil: roll back).
    public var onFailure: FailureStrategy?

    /// Creates a step.
    public init(_ kind: Kind, name: String? = nil, id: String? = nil, options: [String: JSONValue] = [:], onFailure: FailureStrategy? = nil) {
        self.kind = kind
        self.name = name
        self.id = id
        self.options = options
        self.onFailure = onFailure
    }

    /// Whether `id` may name a step: 1 to 64 ASCII letters, digits, `-`, `_` or `.`, starting with a letter or digit (it becomes part of task ids and snapshot keys).
    public static func isValidId(_ id: String) -> Bool {
        let scalars = Array(id.unicodeScalars)
        guard let first = scalars.first, scalars.count <= 64, first.isASCII, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        return scalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    /// A `.bool` option's value (the reader checked its type).
    func bool(_ key: String) -> Bool? { options[key]?.boolValue }
    /// An `.integer` option's value (the reader checked its range).
    func integer(_ key: String) -> Int? { options[key]?.intValue }
    /// A `.string` option's value.
    func string(_ key: String) -> String? { options[key]?.stringValue }
    /// The gate a gate step holds at (nil for a step that runs a task).
    var gate: PlannedGate? {
        switch kind {
        case .approval:
            return .approval(message: string("message"), timeoutSeconds: integer("timeoutSeconds") ?? PlannedGate.defaultApprovalTimeout,
                             onTimeout: string("onTimeout").flatMap(PlannedGate.TimeoutOutcome.init(rawValue:)))
        case .wait:
            return .wait(seconds: integer("seconds") ?? 0)
        default:
            return nil
        }
    }

    /// The task type the step runs (a verify's depends on its `kind`).
    public var taskType: TaskType { kind == .verify ? verifyKind.taskType : kind.taskType }

    /// A verify step's kind (http when it names none).
    var verifyKind: VerifyKind { string("kind").flatMap(VerifyKind.init(rawValue:)) ?? .http }

    /// A `.number` option's value.
    func number(_ key: String) -> Double? { options[key]?.doubleValue }
    /// A `.stringList` option's value.
    func strings(_ key: String) -> [String]? { options[key]?.arrayValue?.compactMap(\.stringValue) }

    /// The rollout wait the step's options give.
    var wait: RolloutWait { RolloutWait(steadyStateTimeoutSeconds: integer(RolloutWait.timeoutMember), failFast: bool(RolloutWait.failFastMember)) }
}
