/// The kinds of step that record a rollback snapshot, and where each one's undo lives.
///
/// One place answers "how is this snapshot rolled back": the generic
/// `ecs.rollback` task reads a snapshot's kind and runs the matching rollback.
public enum SnapshotKind: String, Codable, Sendable, CaseIterable {
    case rolling, canary, blueGreen, runTask, scale

    /// The layout version of this kind's snapshot body; bumped when the body changes shape.
    public var version: Int { 1 }

    /// The task type that undoes a step of this kind (nil: the step leaves nothing to undo).
    public var rollbackTaskType: String? {
        switch self {
        case .rolling: return "ecs.rolling.rollback"
        case .canary: return "ecs.canary.delete"
        case .blueGreen: return "ecs.bluegreen.rollback"
        case .scale: return "ecs.service.scale.rollback"
        case .runTask: return nil
        }
    }
}
