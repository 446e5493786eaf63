import Pipelines

/// `POST /v1/executions` body: a pipeline expanded by the client (which reads its manifest files).
public struct StartExecutionRequest: Codable, Sendable, Equatable {
    public var plan: PipelinePlan

    /// Creates a request.
    public init(plan: PipelinePlan) { self.plan = plan }
}
