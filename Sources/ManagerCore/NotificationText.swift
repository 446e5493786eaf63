import DelegateProtocol
import Foundation
import ManagerAPI
import Pipelines

/// What each execution event's notification says: pure, from the engine's state, for people and for programs.
package enum NotificationText {
    /// The execution started its first step.
    package static func started(id: String, engine: ExecutionEngine, externalURL: String, now: Date) -> NotificationMessage {
        message(.started, id: id, engine: engine, step: engine.plan.steps.first?.name, externalURL: externalURL, now: now,
                text: "\(engine.plan.pipeline): execution \(id) started (\(engine.plan.steps.count) step\(engine.plan.steps.count == 1 ? "" : "s"))")
    }

    /// The execution waits at the approval of its last run: the commands that decide it, and the console page.
    package static func waiting(id: String, engine: ExecutionEngine, externalURL: String, now: Date) -> NotificationMessage {
        let run = engine.runs.last
        let step = run?.name ?? "an approval"
        let approve = "ecs-manager approve \(id) --manager \(externalURL)"
        let reject = "ecs-manager reject \(id) --manager \(externalURL)"
        var text = "\(engine.plan.pipeline): execution \(id) waits for approval at step \(step)"
        if let note = run?.gate?.message { text += " (\(note))" }
        if let deadline = run?.gate?.deadline { text += "; decided by \(ISO8601Millis.string(from: deadline)) or it times out" }
        text += ". Approve: \(approve) Reject: \(reject) Console: \(ConsoleLinks.execution(base: externalURL, id: id))"
        var m = message(.waiting, id: id, engine: engine, step: step, externalURL: externalURL, now: now, text: text, phase: ExecutionEngine.Phase.waiting.rawValue)
        m.approveCommand = approve
        m.rejectCommand = reject
        return m
    }

    /// The execution ended in `phase`: succeeded, rolled back, or failed (aborted, or its rollback failed).
    package static func finished(id: String, engine: ExecutionEngine, phase: ExecutionEngine.Phase, externalURL: String, now: Date) -> NotificationMessage {
        let failedStep = engine.runs.first { $0.key.hasPrefix("step:") && $0.outcome.map { $0.status != .succeeded } == true }?.name
        let why = engine.failure.map { ": \($0)" } ?? ""
        switch phase {
        case .succeeded:
            return message(.succeeded, id: id, engine: engine, step: nil, externalURL: externalURL, now: now, text: "\(engine.plan.pipeline): execution \(id) succeeded")
        case .rolledBack:
            return message(.rolledBack, id: id, engine: engine, step: failedStep, externalURL: externalURL, now: now,
                           text: "\(engine.plan.pipeline): execution \(id) was rolled back\(why)")
        case .rollbackFailed:
            return message(.failed, id: id, engine: engine, step: failedStep, externalURL: externalURL, now: now,
                           text: "\(engine.plan.pipeline): execution \(id) failed and its rollback failed too\(why): look at it now")
        default:
            return message(.failed, id: id, engine: engine, step: failedStep, externalURL: externalURL, now: now,
                           text: "\(engine.plan.pipeline): execution \(id) failed (\(phase.rawValue))\(why)")
        }
    }

    /// A message with the members every event shares.
    private static func message(
        _ event: NotificationEvent, id: String, engine: ExecutionEngine, step: String?, externalURL: String, now: Date, text: String, phase: String? = nil
    ) -> NotificationMessage {
        NotificationMessage(
            event: event, executionId: id, pipeline: engine.plan.pipeline, step: step, phase: phase ?? engine.phase.rawValue, time: now,
            text: String(text.prefix(4000)), consoleURL: ConsoleLinks.execution(base: externalURL, id: id))
    }
}
