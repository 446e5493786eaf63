/// The routing `ecs.bluegreen.create` outputs, which every later blue/green step takes merged into its payload.
public struct BlueGreenRouting: Codable, Sendable, Equatable {
    public var cluster: String
    public var newServiceName: String
    public var oldServiceName: String?
    public var prodListenerArn: String
    public var prodListenerRuleArn: String
    public var stageListenerArn: String
    public var stageListenerRuleArn: String
    public var prodTargetGroupArn: String
    public var stageTargetGroupArn: String
    public var isFirstDeployment: Bool?

    /// Creates the routing.
    public init(cluster: String, newServiceName: String, oldServiceName: String?, prodListenerArn: String, prodListenerRuleArn: String,
                stageListenerArn: String, stageListenerRuleArn: String, prodTargetGroupArn: String, stageTargetGroupArn: String, isFirstDeployment: Bool?) {
        self.cluster = cluster
        self.newServiceName = newServiceName
        self.oldServiceName = oldServiceName
        self.prodListenerArn = prodListenerArn
        self.prodListenerRuleArn = prodListenerRuleArn
        self.stageListenerArn = stageListenerArn
        self.stageListenerRuleArn = stageListenerRuleArn
        self.prodTargetGroupArn = prodTargetGroupArn
        self.stageTargetGroupArn = stageTargetGroupArn
        self.isFirstDeployment = isFirstDeployment
    }
}

/// A blue/green follow-up step's payload: the create step's routing and the step's own options, decoded from one flat object.
public struct BlueGreenFollowUpPayload<Options: StepPayload>: StepPayload {
    public var routing: BlueGreenRouting
    public var options: Options

    /// Creates a payload.
    public init(routing: BlueGreenRouting, options: Options) {
        self.routing = routing
        self.options = options
    }

    /// Decodes both pieces from the same object.
    public init(from decoder: any Decoder) throws {
        routing = try BlueGreenRouting(from: decoder)
        options = try Options(from: decoder)
    }

    /// Encodes both pieces into the same object.
    public func encode(to encoder: any Encoder) throws {
        try routing.encode(to: encoder)
        try options.encode(to: encoder)
    }

    public func validate() throws(PayloadProblem) { try options.validate() }
}

/// `ecs.bluegreen.swap`'s own members (with `RolloutWait` beside them).
public struct BlueGreenSwapOptions: StepPayload, Equatable {
    /// Leave the old service's task count alone after the swap.
    public var doNotDownsizeOldService: Bool?
    /// Seconds to wait before downsizing the old service (0-3600).
    public var downsizeDelaySeconds: Int?
    /// The create step's id, under which the snapshot is filed.
    public var stepId: String?

    /// Creates the options.
    public init(doNotDownsizeOldService: Bool? = nil, downsizeDelaySeconds: Int? = nil, stepId: String? = nil) {
        self.doNotDownsizeOldService = doNotDownsizeOldService
        self.downsizeDelaySeconds = downsizeDelaySeconds
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.range(downsizeDelaySeconds, 0...3600, "downsizeDelaySeconds")
    }
}

/// `ecs.bluegreen.shiftTraffic`'s own members: the percentage of prod traffic the stage target group gets.
public struct ShiftTrafficOptions: StepPayload, Equatable {
    public var weight: Int
    /// The create step's id, under which the snapshot is filed.
    public var stepId: String?

    /// Creates the options.
    public init(weight: Int, stepId: String? = nil) {
        self.weight = weight
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) { try PayloadCheck.range(weight, 0...100, "weight") }
}
