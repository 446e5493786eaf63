import DelegateProtocol
import Foundation

enum DelegateProtocolFixtures {
    static let envelope = TaskEnvelope(taskId: "task-1", leaseId: "lease-1", type: "delegate.echo", selectors: [], timeoutSeconds: 60, payload: [:])
    static func line(_ seq: Int64) -> LogLine { LogLine(seq: seq, time: Date(), level: "info", unit: "Echo", text: "line \(seq)") }
}
