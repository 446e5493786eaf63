import DelegateProtocol
import DelegateRuntime
import Foundation
import Testing

/// The status socket's recent-task list is a bounded read of the journal, whatever limit it is asked for.
@Suite struct JournalPageTests {
    @Test func journalReadsAreBoundedByMaxPage() throws {
        let store = try DelegateStore(directory: NSTemporaryDirectory() + "journal-page-\(UUID().uuidString.prefix(8))")
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<(DelegateStore.maxPage + 50) {
            let envelope = TaskEnvelope(taskId: "t-\(i)", leaseId: "l-\(i)", type: "delegate.echo", selectors: [], timeoutSeconds: 60, payload: [:])
            try store.begin(envelope, now: start.addingTimeInterval(Double(i)))
        }
        #expect(try store.journal(limit: 10).map(\.taskId) == (0..<10).map { "t-\(DelegateStore.maxPage + 49 - $0)" }, "newest first")
        #expect(try store.journal(limit: 1_000_000).count == DelegateStore.maxPage)
        #expect(try store.journal(limit: -5).count == 1)
        #expect(try store.snapshots(limit: Int.max).isEmpty)
    }
}
