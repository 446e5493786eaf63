import DelegateProtocol
import Foundation

/// The pure core of the run-task wait: feed it DescribeTasks output, read the verdict and the lines to log.
///
/// Without `waitForCompletion`, success is every task RUNNING, or already
/// STOPPED after it ran (it has `startedAt` or its essential containers exit
/// codes, all 0: a short task whose RUNNING fell between two looks, e.g. while
/// DescribeTasks was throttled); a task that stops without having run fails
/// the step with its stoppedReason, one that ran fails on a non-zero exit code. With it, success is
/// every task STOPPED with each essential container's exit code 0; a task
/// that failed to start fails with its reason, and a non-zero exit code fails
/// naming the container and the code.
package struct RunTaskTracker {
    /// What one look says.
    package enum Verdict: Equatable {
        case waiting
        case done
        case failed(String)
    }

    let waitForCompletion: Bool
    /// Names of the essential containers (from the task definition).
    let essential: Set<String>
    private var lastStatus: [String: String] = [:]

    package init(waitForCompletion: Bool, essentialContainers: Set<String>) {
        self.waitForCompletion = waitForCompletion
        essential = essentialContainers
    }

    /// Looks at the tasks as DescribeTasks returns them; returns the verdict and the lines to log, in order.
    package mutating func observe(_ tasks: [JSONValue]) -> (Verdict, [String]) {
        var lines: [String] = []
        for t in tasks {
            let id = Self.shortId(t["taskArn"]?.stringValue ?? "?")
            let status = t["lastStatus"]?.stringValue ?? "?"
            if lastStatus[id] != status {
                lastStatus[id] = status
                lines.append("Task \(id) is \(status)")
            }
        }
        for t in tasks where t["lastStatus"]?.stringValue == "STOPPED" {
            let id = Self.shortId(t["taskArn"]?.stringValue ?? "?")
            let reason = t["stoppedReason"]?.stringValue ?? "no reason given"
            if t["stopCode"]?.stringValue == "TaskFailedToStart" {
                return (.failed("task \(id) failed to start: \(reason)"), lines)
            }
            if !waitForCompletion && !Self.ran(t, essential: essential) {
                return (.failed("task \(id) stopped before it was running: \(reason)"), lines)
            }
            for c in t["containers"]?.arrayValue ?? [] {
                let name = c["name"]?.stringValue ?? "?"
                guard essential.isEmpty || essential.contains(name) else { continue }
                guard let code = c["exitCode"]?.intValue else {
                    return (.failed("essential container \(name) of task \(id) stopped without an exit code: \(c["reason"]?.stringValue ?? reason)"), lines)
                }
                if code != 0 {
                    return (.failed("essential container \(name) of task \(id) exited with code \(code)"), lines)
                }
            }
        }
        let done = !tasks.isEmpty && tasks.allSatisfy { t in
            let status = t["lastStatus"]?.stringValue
            return waitForCompletion ? status == "STOPPED" : (status == "RUNNING" || status == "STOPPED")
        }
        return (done ? .done : .waiting, lines)
    }

    /// Whether a STOPPED task had run: ECS gave it a `startedAt`, or every essential container has an exit code.
    static func ran(_ task: JSONValue, essential: Set<String>) -> Bool {
        if task["startedAt"] != nil && task["startedAt"] != .null { return true }
        let containers = (task["containers"]?.arrayValue ?? []).filter { essential.isEmpty || essential.contains($0["name"]?.stringValue ?? "") }
        return !containers.isEmpty && containers.allSatisfy { $0["exitCode"]?.intValue != nil }
    }

    /// The last part of a task ARN.
    package static func shortId(_ arn: String) -> String {
        arn.split(separator: "/").last.map(String.init) ?? arn
    }
}
