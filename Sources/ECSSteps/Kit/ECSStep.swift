import DelegateProtocol
import StepContracts

/// One ECS task type, written as the tutorial's sequence of AWS calls: a typed payload in, outputs out.
///
/// Everything else is the kit's: `StepHandler` decodes the payload, hands the
/// body a `StepRun` (clients, poller, manifests, the change journal and the
/// snapshot write), and maps every failure and cancellation to one result
/// shape that says what was already changed.
package protocol ECSStep: Sendable {
    /// The payload, decoded from the task's JSON with member-naming errors.
    associatedtype Payload: StepPayload
    /// The task type, e.g. `ecs.canary.deploy`.
    static var type: TaskType { get }
    /// What the step is called in a failure message: "the deployment was cancelled".
    static var noun: String { get }
    /// Whether the step waits on a service rollout: its payload then also takes `RolloutWait`'s members.
    static var waitsOnRollout: Bool { get }
    /// Checks what the payload's own `validate` cannot (it needs this module's types, e.g. `ImageName`); a `TaskError` names the member.
    func check(_ payload: Payload) throws
    /// Runs the step; returns its outputs.
    func run(_ payload: Payload, _ run: StepRun) async throws -> [String: JSONValue]
}

extension ECSStep {
    package static var waitsOnRollout: Bool { false }
    package func check(_ payload: Payload) throws {}
}
