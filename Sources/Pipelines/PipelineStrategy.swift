import DelegateProtocol
import StepContracts

/// How a pipeline deploys, and the options of that way.
public struct PipelineStrategy: Sendable, Equatable {
    /// The kinds of deployment a pipeline can run.
    public enum Kind: String, Sendable, CaseIterable {
        case rolling, canary, blueGreen, blueGreenTrafficShift, runTask
    }

    /// What an option's value must be.
    enum OptionType: Sendable {
        case bool, string, percentList
        case integer(ClosedRange<Int>)
        /// One of these words.
        case choice([String])
        /// A number (integer or not) in the range.
        case number(ClosedRange<Double>)
        /// A list of 1 to 100 non-empty strings.
        case stringList
        /// Steps of one kind given as options (a strategy's `verify` and `approval`): a mapping of that kind's options, or a list of them (`true` for one with none).
        case steps(PipelineStep.Kind)
    }

    public var kind: Kind
    /// The options as given (validated against `allowedOptions`).
    public var options: [String: JSONValue]

    /// Creates a strategy.
    public init(kind: Kind, options: [String: JSONValue] = [:]) {
        self.kind = kind
        self.options = options
    }

    /// The options of every step that waits on a service rollout, defined once.
    static let waitOptions: [String: OptionType] = [RolloutWait.timeoutMember: .integer(RolloutWait.timeoutRange), RolloutWait.failFastMember: .bool]
    /// The options of a blue/green create: the load balancer and its listeners.
    static let loadBalancerOptions: [String: OptionType] = [
        "loadBalancer": .string, "prodListener": .string, "prodListenerRule": .string, "stageListener": .string, "stageListenerRule": .string,
        "sameAsAlreadyRunningInstances": .bool,
    ].merging(waitOptions) { a, _ in a }
    /// The load balancer options a blue/green create needs.
    static let loadBalancerRequired = ["loadBalancer", "prodListener", "stageListener"]

    /// The gate options of the strategies that can hold between steps: checks, an approval, a bake.
    static let gateOptions: [String: OptionType] = ["verify": .steps(.verify), "approval": .steps(.approval), "bakeSeconds": .integer(PlannedGate.waitRange)]

    /// The options each kind takes, and which it requires.
    static func allowedOptions(_ kind: Kind) -> (options: [String: OptionType], required: [String]) {
        let (options, required) = ownOptions(kind)
        return (kind == .rolling || kind == .runTask ? options : options.merging(gateOptions) { a, _ in a }, required)
    }

    /// The options of each kind's own steps.
    private static func ownOptions(_ kind: Kind) -> (options: [String: OptionType], required: [String]) {
        switch kind {
        case .rolling:
            return (["sameAsAlreadyRunningInstances": .bool, "forceNewDeployment": .bool].merging(waitOptions) { a, _ in a }, [])
        case .canary:
            return (["canaryDesiredCount": .integer(1...1000), "sameAsAlreadyRunningInstances": .bool, "forceNewDeployment": .bool].merging(waitOptions) { a, _ in a }, [])
        case .blueGreen:
            return (loadBalancerOptions.merging(["doNotDownsizeOldService": .bool, "downsizeDelaySeconds": .integer(0...3600)]) { a, _ in a }, loadBalancerRequired)
        case .blueGreenTrafficShift:
            return (loadBalancerOptions.merging(["weights": .percentList]) { a, _ in a }, loadBalancerRequired + ["weights"])
        case .runTask:
            return (["skipSteadyStateCheck": .bool, "waitForCompletion": .bool], [])
        }
    }

    /// The steps the strategy is shorthand for, each with the options that are its own.
    public var steps: [PipelineStep] {
        func pick(_ keys: [String], renaming: [String: String] = [:]) -> [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            for k in keys { if let v = options[k] { o[renaming[k] ?? k] = v } }
            return o
        }
        let wait = Array(Self.waitOptions.keys)
        let rolling = PipelineStep(.rollingDeploy, options: pick(["sameAsAlreadyRunningInstances", "forceNewDeployment"] + wait))
        switch kind {
        case .rolling:
            return [rolling]
        case .canary:
            return [PipelineStep(.canaryDeploy, options: pick(["canaryDesiredCount"] + wait, renaming: ["canaryDesiredCount": "desiredCount"]))] + gates
                + [PipelineStep(.canaryDelete), rolling]
        case .blueGreen:
            return [PipelineStep(.blueGreenCreate, options: pick(Array(Self.loadBalancerOptions.keys)))] + gates
                + [PipelineStep(.blueGreenSwap, options: pick(["doNotDownsizeOldService", "downsizeDelaySeconds"] + wait))]
        case .blueGreenTrafficShift:
            let weights = options["weights"]?.arrayValue?.compactMap(\.intValue) ?? []
            var steps = [PipelineStep(.blueGreenCreate, options: pick(Array(Self.loadBalancerOptions.keys)))]
            for (i, weight) in weights.enumerated() {
                steps.append(PipelineStep(.shiftTraffic, options: ["weight": .number(Double(weight))]))
                if i < weights.count - 1 { steps += gates }
            }
            return steps
        case .runTask:
            return [PipelineStep(.runTask, options: pick(["skipSteadyStateCheck", "waitForCompletion"]))]
        }
    }

    /// The steps that hold between a strategy's steps, in order: the bake, the checks, the approval.
    ///
    /// A bake (`bakeSeconds`) is a wait; but when an alarms check names no
    /// `windowSeconds`, it watches its alarms for the bake instead, so an
    /// alarm that fires during the bake fails the deployment.
    var gates: [PipelineStep] {
        /// A step of `kind` from a gate option's item: its options, and the `onFailure` the reader kept beside them.
        func step(_ kind: PipelineStep.Kind, _ item: [String: JSONValue]) -> PipelineStep {
            PipelineStep(kind, options: item.filter { $0.key != Self.onFailureMember }, onFailure: try? item[Self.onFailureMember]?.decode(as: FailureStrategy.self))
        }
        var checks = (options["verify"]?.arrayValue ?? []).compactMap(\.objectValue).map { step(.verify, $0) }
        var steps: [PipelineStep] = []
        if let bake = options["bakeSeconds"]?.intValue {
            let watched = checks.indices.filter { checks[$0].verifyKind == .alarms && checks[$0].options["windowSeconds"] == nil }
            for i in watched { checks[i].options["windowSeconds"] = .number(Double(bake)) }
            if watched.isEmpty { steps.append(PipelineStep(.wait, name: "Bake \(bake) s", id: nil, options: ["seconds": .number(Double(bake))])) }
        }
        steps += checks
        for approval in (options["approval"]?.arrayValue ?? []).compactMap(\.objectValue) { steps.append(step(.approval, approval)) }
        return steps
    }

    /// Where a gate option's item keeps its `onFailure` among its options (a name no option has).
    static let onFailureMember = "onFailure"

    /// The URL an http check of this strategy probes when it names none.
    var defaultVerifyURL: String? { kind == .blueGreen || kind == .blueGreenTrafficShift ? VerifyKind.defaultBlueGreenURL : nil }

    /// The manifests each kind needs.
    var requiredManifests: [String] {
        kind == .runTask ? ["taskDefinition", "runTaskRequest"] : ["taskDefinition", "serviceDefinition"]
    }
}
