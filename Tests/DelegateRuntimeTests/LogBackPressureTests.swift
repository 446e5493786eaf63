import DelegateProtocol
import DelegateRuntime
import Foundation
import Testing

/// A task that prints faster than its lines are taken waits for room: at most `TaskLog.highWater` lines are buffered.
@Suite struct LogBackPressureTests {
    @Test func echoWaitsWhileItsLinesAreNotTaken() async throws {
        let count = 3 * TaskLog.highWater + 123
        let envelope = TaskEnvelope(taskId: "t-bp", leaseId: "l-bp", type: "delegate.echo", selectors: [], timeoutSeconds: 600,
                                    payload: ["count": .number(Double(count))])
        let context = TaskContext.standalone(envelope: envelope)
        let run = Task { try await EchoHandler().run(context) }
        // Take nothing for a while: without back-pressure the whole output would be buffered by now.
        try await Task.sleep(for: .milliseconds(300))
        var taken: [LogLine] = []
        var largest = 0
        while true {
            let batch = context.log.takeLines()
            largest = max(largest, batch.count)
            taken += batch
            if taken.count >= count { break }
            if batch.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        }
        _ = try await run.value
        #expect(largest <= TaskLog.highWater, "\(largest) lines were buffered at once")
        #expect(taken.count == count && context.log.takeLines().isEmpty)
        #expect(taken.map(\.seq) == Array(1...Int64(count)), "every line once, in order")
        #expect(taken.last?.text == "line \(count) of \(count)")
    }
}
