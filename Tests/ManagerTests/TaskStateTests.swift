import DelegateProtocol
import Foundation
import ManagerCore
import Testing

/// `TaskState` keeps the wire's strings.
@Suite struct TaskStateTests {
    @Test func statesAreTheProtocolsStrings() throws {
        #expect(TaskState.allCases.map(\.rawValue) == ["queued", "leased", "running", "succeeded", "failed", "cancelled", "rejected"])
        #expect(String(decoding: try JSONEncoder().encode([TaskState.running]), as: UTF8.self) == #"["running"]"#)
        for status in TaskStatus.allCases {
            #expect(TaskState(status).rawValue == status.rawValue && TaskState(status).isFinished)
        }
        #expect(!TaskState.queued.isFinished && TaskState.leased.isLeased && TaskState.running.isLeased && !TaskState.queued.isLeased)
    }
}
