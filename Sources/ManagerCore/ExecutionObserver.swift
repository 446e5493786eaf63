import Pipelines

/// Told when an execution ends: metrics now, notifications next. Called by the orchestrator, once per finish it drives.
public protocol ExecutionObserver: Sendable {
    /// Execution `id` of `plan` reached its final `phase`.
    func executionFinished(id: String, plan: PipelinePlan, phase: ExecutionEngine.Phase)
}
