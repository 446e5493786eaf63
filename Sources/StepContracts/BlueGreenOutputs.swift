/// What `ecs.bluegreen.create` outputs beside the rollout's (`ServiceRolloutOutputs`) and the routing (`BlueGreenRouting`).
public struct BlueGreenCreateOutputs: Codable, Sendable, Equatable {
    /// The load balancer both routes are on.
    public var loadBalancerArn: String
    /// `http(s)://<load balancer DNS name>:<stage listener port>`: where the new service answers before the swap (`verify.http`'s `url`).
    public var stageUrl: String?
    /// `http(s)://<load balancer DNS name>:<prod listener port>`: where users are served.
    public var prodUrl: String?

    /// Creates the outputs.
    public init(loadBalancerArn: String, stageUrl: String? = nil, prodUrl: String? = nil) {
        self.loadBalancerArn = loadBalancerArn
        self.stageUrl = stageUrl
        self.prodUrl = prodUrl
    }
}

/// What `ecs.bluegreen.swap` outputs: the services, and the target groups as they are after the swap.
public struct BlueGreenSwapOutputs: Codable, Sendable, Equatable {
    public var swapped: Bool
    public var newServiceName: String
    public var oldServiceName: String?
    /// The target group prod now forwards to (stage's before the swap).
    public var prodTargetGroupArn: String
    public var stageTargetGroupArn: String

    /// Creates the outputs.
    public init(swapped: Bool, newServiceName: String, oldServiceName: String?, prodTargetGroupArn: String, stageTargetGroupArn: String) {
        self.swapped = swapped
        self.newServiceName = newServiceName
        self.oldServiceName = oldServiceName
        self.prodTargetGroupArn = prodTargetGroupArn
        self.stageTargetGroupArn = stageTargetGroupArn
    }
}

/// What `ecs.bluegreen.shiftTraffic` outputs: the weight asked for and the prod rule's forward targets as read back.
public struct ShiftTrafficOutputs: Codable, Sendable, Equatable {
    /// One target group and its weight.
    public struct Target: Codable, Sendable, Equatable {
        public var targetGroupArn: String
        public var weight: Int

        /// Creates a target.
        public init(targetGroupArn: String, weight: Int) {
            self.targetGroupArn = targetGroupArn
            self.weight = weight
        }
    }

    public var weight: Int
    public var forwardConfig: [Target]

    /// Creates the outputs.
    public init(weight: Int, forwardConfig: [Target]) {
        self.weight = weight
        self.forwardConfig = forwardConfig
    }
}
