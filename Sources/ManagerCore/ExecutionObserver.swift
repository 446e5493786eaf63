import Foundation
import Pipelines

/// Told what happens to executions (metrics, the notification outbox); called by the orchestrator before it saves the change it reports.
///
/// Because the call comes before the save, a manager that dies in between
/// drives the execution again after its restart and calls the observer again:
/// an observer that must not repeat itself keys what it records (the outbox does).
/// An observer that throws stops the save; the orchestrator tries again on its next sweep.
public protocol ExecutionObserver: Sendable {
    /// Execution `id` is about to start its first step (submit its task, or open its gate).
    func executionStarted(id: String, engine: ExecutionEngine) async throws
    /// Execution `id` opened the approval gate of its last run and waits for a decision.
    func executionWaiting(id: String, engine: ExecutionEngine) async throws
    /// Execution `id` reached its final `phase`.
    func executionFinished(id: String, engine: ExecutionEngine, phase: ExecutionEngine.Phase) async throws
    /// Execution `id` submitted a step's task `waited` after the task before it ended (the dispatch latency); not told of the first step.
    func stepSubmitted(id: String, type: String, waited: TimeInterval) async
}

extension ExecutionObserver {
    /// Nothing, by default.
    public func executionStarted(id: String, engine: ExecutionEngine) async throws {}
    /// Nothing, by default.
    public func executionWaiting(id: String, engine: ExecutionEngine) async throws {}
    /// Nothing, by default.
    public func stepSubmitted(id: String, type: String, waited: TimeInterval) async {}
}
