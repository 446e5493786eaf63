/// A task type's name on the wire, e.g. `ecs.rolling.deploy`: the one list the manager, pipelines and the delegate name types from.
///
/// A struct rather than an enum: a delegate may serve types this list does not
/// know (its own handlers), and the protocol carries them as plain strings.
public struct TaskType: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    /// The name on the wire.
    public let rawValue: String

    /// A type by its wire name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A type by its wire name.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    // Deployments and their rollbacks (docs/ecs-steps.md).
    /// Rolling deployment of a service.
    public static let rollingDeploy = TaskType("ecs.rolling.deploy")
    /// Restores the service a rolling deployment changed.
    public static let rollingRollback = TaskType("ecs.rolling.rollback")
    /// Deploys the canary service beside the service.
    public static let canaryDeploy = TaskType("ecs.canary.deploy")
    /// Deletes the canary service (also the canary's rollback).
    public static let canaryDelete = TaskType("ecs.canary.delete")
    /// Creates the blue/green stage service.
    public static let blueGreenCreate = TaskType("ecs.bluegreen.create")
    /// Swaps the prod and stage target groups.
    public static let blueGreenSwap = TaskType("ecs.bluegreen.swap")
    /// Moves a weight of the prod listener's traffic to the stage target group.
    public static let blueGreenShiftTraffic = TaskType("ecs.bluegreen.shiftTraffic")
    /// Restores the routes and services a blue/green deployment changed.
    public static let blueGreenRollback = TaskType("ecs.bluegreen.rollback")
    /// Runs a standalone ECS task.
    public static let runTask = TaskType("ecs.runTask")
    /// Sets a service's desired count.
    public static let serviceScale = TaskType("ecs.service.scale")
    /// Restores the desired count a scale step changed.
    public static let serviceScaleRollback = TaskType("ecs.service.scale.rollback")

    // Look-ups and connector checks.
    /// Checks an AWS connector (STS and ECS).
    public static let awsValidate = TaskType("aws.validate")
    /// Lists the clusters of the connector's region.
    public static let listClusters = TaskType("ecs.listClusters")
    /// Lists the load balancers.
    public static let listLoadBalancers = TaskType("elb.listLoadBalancers")
    /// Lists a load balancer's listeners.
    public static let listListeners = TaskType("elb.listListeners")
    /// Lists a listener's rules.
    public static let listListenerRules = TaskType("elb.listListenerRules")
    /// Checks a Docker registry connector.
    public static let dockerValidate = TaskType("docker.validate")
    /// Lists an image's tags.
    public static let dockerListTags = TaskType("docker.listTags")
    /// Resolves an image tag to its digest.
    public static let dockerResolveDigest = TaskType("docker.resolveDigest")

    // Verifications: they read and change nothing (docs/ecs-steps.md).
    /// Probes a URL over HTTP and checks the answers' status and body.
    public static let verifyHTTP = TaskType("verify.http")
    /// Waits for every target of a service's (or one) target group to stay healthy.
    public static let verifyTargetHealth = TaskType("verify.targetHealth")
    /// Watches CloudWatch alarms for a window; any ALARM fails it.
    public static let verifyAlarms = TaskType("verify.alarms")

    /// The delegate runtime's own test and connectivity task.
    public static let delegateEcho = TaskType("delegate.echo")

    /// Every type of the ECS step kit, in the order the docs list them.
    public static let ecsSteps: [TaskType] = [
        .rollingDeploy, .rollingRollback, .canaryDeploy, .canaryDelete, .blueGreenCreate, .blueGreenSwap, .blueGreenShiftTraffic,
        .blueGreenRollback, .runTask, .serviceScale, .serviceScaleRollback, .awsValidate, .listClusters, .listLoadBalancers,
        .listListeners, .listListenerRules, .dockerValidate, .dockerListTags, .dockerResolveDigest, .verifyHTTP, .verifyTargetHealth, .verifyAlarms,
    ]
}
