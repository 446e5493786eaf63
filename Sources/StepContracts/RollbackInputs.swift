import DelegateProtocol

/// The members an execution adds to a rollback's payload: the forward steps' snapshot, the service it names, and the step it is filed under.
///
/// Encoded flat after the forward steps' outputs and before the rollback's
/// own planned members (`ExecutionEngine`); the rollback payloads
/// (`ServiceRollbackPayload`, `BlueGreenRollbackPayload`, `CanaryDeletePayload`) decode them.
public struct RollbackInputs: Codable, Sendable, Equatable {
    public var snapshot: JSONValue?
    public var serviceName: String?
    public var stepId: String?

    /// The inputs for a rollback of the step `stepId` whose snapshot is `snapshot` (nil: none was recorded).
    ///
    /// `serviceName` is the snapshot's (`SnapshotSummary`) unless the outputs already named one (`knownServiceName`).
    public init(snapshot: JSONValue?, stepId: String, knownServiceName: String?) {
        self.snapshot = snapshot
        self.stepId = stepId
        let summary = snapshot.flatMap { try? $0.decode(as: SnapshotSummary.self) }
        serviceName = knownServiceName == nil ? summary?.service : nil
    }
}

/// What every snapshot body says about the service it belongs to: `serviceName` (rolling, scale) or `baseName` (blue/green).
public struct SnapshotSummary: Codable, Sendable, Equatable {
    public var serviceName: String?
    public var baseName: String?

    /// The service the snapshot restores.
    public var service: String? { serviceName ?? baseName }
}

/// What a rollback step outputs.
public struct RollbackOutputs: Codable, Sendable, Equatable {
    /// False when there was nothing to undo.
    public var rolledBack: Bool
    public var serviceName: String
    /// True when the rollback deleted a service the forward step created.
    public var deleted: Bool?
    public var taskDefinitionArn: String?
    public var desiredCount: Int?
    /// Blue/green: the services as they are after the rollback.
    public var oldServiceName: String?
    public var newServiceName: String?

    /// Creates the outputs.
    public init(rolledBack: Bool, serviceName: String, deleted: Bool? = nil, taskDefinitionArn: String? = nil, desiredCount: Int? = nil,
                oldServiceName: String? = nil, newServiceName: String? = nil) {
        self.rolledBack = rolledBack
        self.serviceName = serviceName
        self.deleted = deleted
        self.taskDefinitionArn = taskDefinitionArn
        self.desiredCount = desiredCount
        self.oldServiceName = oldServiceName
        self.newServiceName = newServiceName
    }
}
