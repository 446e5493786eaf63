/// The kinds of step that record a rollback snapshot, and which task type undoes each: the one table both sides read.
///
/// One place answers "how is this snapshot rolled back": the delegate's
/// status socket and its wrong-kind errors name `rollbackTaskType`, and the
/// pipelines plan each step's rollback with it.
public enum SnapshotKind: String, Codable, Sendable, CaseIterable {
    case rolling, canary, blueGreen, runTask, scale

    /// The layout version of this kind's snapshot body; bumped when the body changes shape.
    public var version: Int { 1 }

    /// The task type that undoes a step of this kind (nil: the step leaves nothing to undo).
    public var rollbackTaskType: TaskType? {
        switch self {
        case .rolling: return .rollingRollback
        case .canary: return .canaryDelete
        case .blueGreen: return .blueGreenRollback
        case .scale: return .serviceScaleRollback
        case .runTask: return nil
        }
    }
}
