import Foundation

/// Pruning: the local journal keeps finished tasks and rollback snapshots only for their retention periods.
extension DelegateAgent {
    /// Removes finished tasks past the retention period, at start and hourly.
    func pruneLoop() async {
        while !Task.isCancelled {
            let cutoff = Date().addingTimeInterval(-config.logRetentionHours * 3600)
            do {
                let n = try store.prune(finishedBefore: cutoff)
                if n > 0 { logger.info("pruned old tasks from the local journal", metadata: ["tasks": "\(n)"]) }
                let s = try store.pruneSnapshots(olderThan: Date().addingTimeInterval(-config.snapshotRetentionDays * 86400))
                if s > 0 { logger.info("pruned old rollback snapshots", metadata: ["snapshots": "\(s)"]) }
            } catch {
                logger.error("pruning the local journal failed: \(error)")
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}
