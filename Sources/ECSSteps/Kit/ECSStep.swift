import DelegateProtocol

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
    static var type: String { get }
    /// What the step is called in a failure message: "the deployment was cancelled".
    static var noun: String { get }
    /// Whether the step waits on a service rollout: its payload then also takes `RolloutWait`'s members.
    static var waitsOnRollout: Bool { get }
    /// Runs the step; returns its outputs.
    func run(_ payload: Payload, _ run: StepRun) async throws -> [String: JSONValue]
}

extension ECSStep {
    package static var waitsOnRollout: Bool { false }
}

/// A step's payload: decodable, and able to check its own ranges.
package protocol StepPayload: Decodable, Sendable {
    /// Throws a `TaskError` naming the member that is out of range; the default accepts everything decoded.
    func validate() throws
}

extension StepPayload {
    package func validate() throws {}
}
