import DelegateProtocol

/// Why a queued task has not been taken, from the delegates as they are now.
package enum WaitingReason {
    /// `report` with its `waitingReason` set when it is queued.
    package static func explain(_ report: TaskReport, delegates: [DelegateInfo]) -> TaskReport {
        guard report.state == TaskState.queued.rawValue else { return report }
        var report = report
        report.waitingReason = reason(selectors: report.selectors, type: report.type, connectorName: report.connectorName, delegates: delegates)
        return report
    }

    /// Why a task with `selectors` and `type` waits, naming the tags no connected delegate has.
    package static func reason(selectors: [String], type: String, connectorName: String?, delegates: [DelegateInfo]) -> String {
        let connected = delegates.filter { $0.state == DelegateState.connected.rawValue }
        let origin = connectorName.map { " (connector \($0) selects delegates by its delegateSelectors)" } ?? ""
        guard !connected.isEmpty else { return "no delegate is connected" }
        let matching = connected.filter { Selectors.satisfied(selectors, by: $0.tags) }
        if !matching.isEmpty {
            return "waiting for free capacity on \(matching.map(\.name).joined(separator: ", ")) or a delegate that supports \(type)"
        }
        let nobody = Selectors.missing(selectors, from: connected.flatMap(\.tags))
        if !nobody.isEmpty {
            let tags = nobody.count == 1 ? "tag \(nobody[0])" : "tags \(nobody.joined(separator: ", "))"
            return "no connected delegate has \(tags)\(origin)"
        }
        let closest = connected.map { Selectors.missing(selectors, from: $0.tags) }.min { $0.count < $1.count } ?? selectors
        return "no connected delegate has all selectors \(selectors) (closest lacks \(closest))\(origin)"
    }
}
