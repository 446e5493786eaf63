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

    /// The options each kind takes, and which it requires.
    static func allowedOptions(_ kind: Kind) -> (options: [String: OptionType], required: [String]) {
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
            return [PipelineStep(.canaryDeploy, options: pick(["canaryDesiredCount"] + wait, renaming: ["canaryDesiredCount": "desiredCount"])), PipelineStep(.canaryDelete), rolling]
        case .blueGreen:
            return [PipelineStep(.blueGreenCreate, options: pick(Array(Self.loadBalancerOptions.keys))),
                    PipelineStep(.blueGreenSwap, options: pick(["doNotDownsizeOldService", "downsizeDelaySeconds"] + wait))]
        case .blueGreenTrafficShift:
            let weights = options["weights"]?.arrayValue?.compactMap(\.intValue) ?? []
            return [PipelineStep(.blueGreenCreate, options: pick(Array(Self.loadBalancerOptions.keys)))] + weights.map { PipelineStep(.shiftTraffic, options: ["weight": .number(Double($0))]) }
        case .runTask:
            return [PipelineStep(.runTask, options: pick(["skipSteadyStateCheck", "waitForCompletion"]))]
        }
    }

    /// The manifests each kind needs.
    var requiredManifests: [String] {
        kind == .runTask ? ["taskDefinition", "runTaskRequest"] : ["taskDefinition", "serviceDefinition"]
    }
}
