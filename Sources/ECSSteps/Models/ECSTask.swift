import AWSCore
import DelegateProtocol

/// The members of a DescribeTasks entry the steady-state wait reads about a stopped task.
///
/// Like `ECSService`, every member is optional and numbers are range-checked,
/// so an answer of any shape gives a model rather than a crash.
struct ECSTask: Sendable, Equatable {
    var taskArn: String?
    /// The deployment id for a service's task (`ecs-svc/...`).
    var startedBy: String?
    var lastStatus: String?
    var desiredStatus: String?
    /// TaskFailedToStart, EssentialContainerExited, UserInitiated, ServiceSchedulerInitiated, ...
    var stopCode: String?
    var stoppedReason: String?
    /// `name exit CODE` for each container that reported an exit code.
    var exits: [String]

    /// Reads the members from a DescribeTasks entry.
    init(_ v: JSONValue) {
        taskArn = v["taskArn"]?.stringValue
        startedBy = v["startedBy"]?.stringValue
        lastStatus = v["lastStatus"]?.stringValue
        desiredStatus = v["desiredStatus"]?.stringValue
        stopCode = v["stopCode"]?.stringValue
        stoppedReason = v["stoppedReason"]?.stringValue
        exits = (v["containers"]?.arrayValue ?? []).compactMap { c in
            c["exitCode"]?.intValue.map { "\(c["name"]?.stringValue ?? "?") exit \($0)" }
        }
    }

    /// The last part of the ARN (the id ECS shows in events).
    var shortId: String { RunTaskTracker.shortId(taskArn ?? "?") }

    /// Whether the task stopped without anyone asking: it failed to start, or its essential container exited.
    /// These are the stops the ECS deployment circuit breaker counts.
    var failedOnItsOwn: Bool { stopCode == "TaskFailedToStart" || stopCode == "EssentialContainerExited" }
}
