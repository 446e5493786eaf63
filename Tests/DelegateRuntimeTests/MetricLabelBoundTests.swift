import DelegateRuntime
import Testing

/// Task metrics keep one series per label set for the life of the process: their label values are bounded.
@Suite struct MetricLabelBoundTests {
    @Test func taskTypesPastTheBoundAreRecordedAsOther() {
        let metrics = DelegateMetrics()
        for i in 0..<500 {
            metrics.taskFinished(type: "made.up.\(i)", outcome: "rejected", duration: .milliseconds(1))
        }
        metrics.taskFinished(type: "made.up.0", outcome: "succeeded", duration: .milliseconds(1))
        let series = metrics.render().split(separator: "\n").filter { $0.hasPrefix("ecs_delegate_tasks_total{") }
        #expect(series.count == DelegateMetrics.maxLabelValues + 2, "64 types rejected, other rejected, and made.up.0 succeeded")
        #expect(series.contains { $0.contains(#"type="other""#) && $0.hasSuffix(" \(500 - DelegateMetrics.maxLabelValues)") })
        #expect(series.contains { $0.contains(#"type="made.up.0""#) && $0.contains(#"outcome="succeeded""#) })
    }
}
