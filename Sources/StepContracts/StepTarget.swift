/// The members every ECS step's payload starts from: the cluster, and the step id its snapshot is filed under.
///
/// A plan gives a rollback or a blue/green follow-up only these; the rest
/// (the service, the snapshot, the routing) reaches it at run time from the
/// outputs of the steps before it and from `RollbackInputs`.
public struct StepTarget: Codable, Sendable, Equatable {
    public var cluster: String
    public var stepId: String?

    /// Creates a target.
    public init(cluster: String, stepId: String? = nil) {
        self.cluster = cluster
        self.stepId = stepId
    }
}
