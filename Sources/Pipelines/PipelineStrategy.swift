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
    }

    public var kind: Kind
    /// The options as given (validated against `allowedOptions`).
    public var options: [String: JSONValue]

    /// Creates a strategy.
    public init(kind: Kind, options: [String: JSONValue] = [:]) {
        self.kind = kind
        self.options = options
    }

    /// The options each kind takes, and which it requires.
    static func allowedOptions(_ kind: Kind) -> (options: [String: OptionType], required: [String]) {
        // The options of every strategy that waits on a service rollout, defined once.
        let wait: [String: OptionType] = [RolloutWait.timeoutMember: .integer(RolloutWait.timeoutRange), RolloutWait.failFastMember: .bool]
        let loadBalancer: [String: OptionType] = [
            "loadBalancer": .string, "prodListener": .string, "prodListenerRule": .string, "stageListener": .string, "stageListenerRule": .string,
            "sameAsAlreadyRunningInstances": .bool,
        ].merging(wait) { a, _ in a }
        let lbRequired = ["loadBalancer", "prodListener", "stageListener"]
        switch kind {
        case .rolling:
            return (["sameAsAlreadyRunningInstances": .bool, "forceNewDeployment": .bool].merging(wait) { a, _ in a }, [])
        case .canary:
            return (["canaryDesiredCount": .integer(1...1000), "sameAsAlreadyRunningInstances": .bool, "forceNewDeployment": .bool].merging(wait) { a, _ in a }, [])
        case .blueGreen:
            return (loadBalancer.merging(["doNotDownsizeOldService": .bool, "downsizeDelaySeconds": .integer(0...3600)]) { a, _ in a }, lbRequired)
        case .blueGreenTrafficShift:
            return (loadBalancer.merging(["weights": .percentList]) { a, _ in a }, lbRequired + ["weights"])
        case .runTask:
            return (["skipSteadyStateCheck": .bool, "waitForCompletion": .bool], [])
        }
    }

    /// The manifests each kind needs.
    var requiredManifests: [String] {
        kind == .runTask ? ["taskDefinition", "runTaskRequest"] : ["taskDefinition", "serviceDefinition"]
    }

    /// An option's value.
    func option(_ name: String) -> JSONValue? { options[name] }

    /// A `.bool` option's value (the reader checked its type).
    func bool(_ name: String) -> Bool? { options[name]?.boolValue }

    /// An `.integer` option's value (the reader checked its range).
    func integer(_ name: String) -> Int? { options[name]?.intValue }

    /// A `.string` option's value.
    func string(_ name: String) -> String? { options[name]?.stringValue }

    /// A `.percentList` option's values, in order.
    func percentList(_ name: String) -> [Int] { options[name]?.arrayValue?.compactMap(\.intValue) ?? [] }
}
