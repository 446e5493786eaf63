import Foundation

/// What one notification says: the event, the execution, and for an approval what to run and where to look.
///
/// A `json` notifier receives it as the body; a `slack` notifier receives `text`.
public struct NotificationMessage: Codable, Sendable, Equatable {
    /// What happened.
    public var event: NotificationEvent
    /// The execution it happened to.
    public var executionId: String
    /// The pipeline it runs.
    public var pipeline: String
    /// The step it concerns (the approval waited at; the step that failed), if one.
    public var step: String?
    /// The execution's phase when it was sent (`deploying`, `waiting`, `succeeded`, `rolledBack`, ...).
    public var phase: String
    /// When it happened.
    public var time: Date
    /// One line for people, e.g. for a chat channel.
    public var text: String
    /// For `waiting`: the command that approves the execution.
    public var approveCommand: String?
    /// For `waiting`: the command that rejects it.
    public var rejectCommand: String?
    /// The execution's page in the manager's console.
    public var consoleURL: String?

    /// A message with these members.
    public init(
        event: NotificationEvent, executionId: String, pipeline: String, step: String? = nil, phase: String, time: Date, text: String,
        approveCommand: String? = nil, rejectCommand: String? = nil, consoleURL: String? = nil
    ) {
        self.event = event
        self.executionId = executionId
        self.pipeline = pipeline
        self.step = step
        self.phase = phase
        self.time = time
        self.text = text
        self.approveCommand = approveCommand
        self.rejectCommand = rejectCommand
        self.consoleURL = consoleURL
    }
}
