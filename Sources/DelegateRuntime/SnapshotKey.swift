import StepContracts
/// Where a rollback snapshot is filed: one per step of an execution.
public struct SnapshotKey: Sendable, Hashable, Codable {
    /// The pipeline run (the task's `executionId`, or its task id when it has none).
    public var executionId: String
    /// The step within the run: the payload's `stepId`, or the kind and the service it changes.
    public var stepId: String

    /// Creates a key.
    public init(executionId: String, stepId: String) {
        self.executionId = executionId
        self.stepId = stepId
    }

    /// The step id a step gets when its payload names none: `kind/cluster/service`.
    ///
    /// A canary and a rolling deployment of one service in one execution get
    /// different keys; a retried step gets the same one, so its first snapshot stands.
    public static func defaultStepId(kind: SnapshotKind, cluster: String, service: String) -> String {
        "\(kind.rawValue)/\(cluster)/\(service)"
    }

    /// The key for `executionId` with the default step id.
    public static func defaultKey(executionId: String, kind: SnapshotKind, cluster: String, service: String) -> SnapshotKey {
        SnapshotKey(executionId: executionId, stepId: defaultStepId(kind: kind, cluster: cluster, service: service))
    }
}
