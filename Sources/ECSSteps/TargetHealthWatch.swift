import AWSServices

/// The pure core of `verify.targetHealth`: the targets' health at times since the start in, the lines to log and a verdict out.
///
/// It passes once every target has been healthy, without a break, for
/// `stableSeconds`; a look with any target not healthy starts that clock again,
/// and so does a look with no targets at all (nothing registered is not
/// healthy). At `timeoutSeconds` it fails, naming the targets not healthy. A
/// line is logged per change of state (a target's state, or all of them
/// becoming healthy), never per look.
package struct TargetHealthWatch {
    /// What one look says.
    package enum Verdict: Equatable {
        case waiting
        /// The verdict line, e.g. `3/3 targets healthy for 30 s`.
        case passed(String)
        /// The verdict line, naming the targets not healthy.
        case failed(String)
    }

    /// One target of one target group, as looked at.
    package struct Observed: Equatable, Sendable {
        /// The target group's name (from its ARN).
        package var group: String
        /// The target and its health.
        package var target: TargetHealth

        /// Creates an observation.
        package init(group: String, target: TargetHealth) {
            self.group = group
            self.target = target
        }

        /// `10.0.1.5:80 in my-tg`.
        var label: String { "\(target.address) in \(group)" }
        /// `healthy`, or `unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])`.
        var stateText: String {
            let why = [target.reason, target.detail].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return why.isEmpty ? target.state : "\(target.state) (\(why.prefix(256)))"
        }
        /// Whether ELB calls it healthy.
        var isHealthy: Bool { target.state == "healthy" }
    }

    /// How long every target must stay healthy.
    package let stableSeconds: Int
    /// When it gives up.
    package let timeoutSeconds: Int
    /// Each target's state as last logged, by label.
    private var states: [String: String] = [:]
    /// Whether the last look found no targets (logged once per change).
    private var sawNone = false
    /// Since when every target has been healthy (nil: not all healthy at the last look).
    private var healthySince: Duration?
    /// Healthy targets at the last look.
    package private(set) var healthy = 0
    /// Targets at the last look.
    package private(set) var total = 0

    /// Starts a watch.
    package init(stableSeconds: Int, timeoutSeconds: Int) {
        self.stableSeconds = max(0, stableSeconds)
        self.timeoutSeconds = max(0, timeoutSeconds)
    }

    /// Looks at every target of the watched groups at `elapsed` since the start; returns the verdict and the lines to log.
    package mutating func observe(_ targets: [Observed], at elapsed: Duration) -> (Verdict, [String]) {
        var lines: [String] = []
        var seen: Set<String> = []
        for t in targets {
            let label = t.label
            guard seen.insert(label).inserted else { continue }
            let text = t.stateText
            if states[label] != text {
                states[label] = text
                lines.append("target \(label): \(text)")
            }
        }
        for label in states.keys.sorted() where !seen.contains(label) {
            states.removeValue(forKey: label)
            lines.append("target \(label): no longer registered")
        }
        if targets.isEmpty != sawNone {
            sawNone = targets.isEmpty
            if sawNone { lines.append("no targets are registered") }
        }
        total = seen.count
        healthy = Set(targets.filter(\.isHealthy).map(\.label)).count
        let allHealthy = total > 0 && healthy == total
        if allHealthy {
            if healthySince == nil {
                healthySince = elapsed
                if stableSeconds > 0 { lines.append("\(healthy)/\(total) targets healthy; passing once they stay healthy for \(stableSeconds) s") }
            }
        } else {
            healthySince = nil
        }
        if let since = healthySince, elapsed - since >= .seconds(stableSeconds) {
            return (.passed("\(healthy)/\(total) targets healthy for \(stableSeconds) s"), lines)
        }
        if elapsed >= .seconds(timeoutSeconds) {
            return (.failed(failure(targets, elapsed: elapsed)), lines)
        }
        return (.waiting, lines)
    }

    /// The pause before the next look at `elapsed`: at most 5 s, and no later than the moment it could pass or must give up.
    package func pause(at elapsed: Duration) -> Duration {
        VerifySchedule.pause(at: elapsed, passAt: healthySince.map { $0 + .seconds(stableSeconds) }, giveUpAt: .seconds(timeoutSeconds))
    }

    /// The failure's verdict line, naming what is not healthy.
    private func failure(_ targets: [Observed], elapsed: Duration) -> String {
        let head = "\(healthy)/\(total) targets healthy after \(timeoutSeconds) s"
        if total == 0 { return head + ": no targets are registered" }
        if let since = healthySince {
            let seconds = (elapsed - since).components.seconds
            return head + ", but only for \(seconds) s of the \(stableSeconds) s needed"
        }
        var named: [String] = []
        var listed: Set<String> = []
        for t in targets where !t.isHealthy && listed.insert(t.label).inserted { named.append("\(t.label) (\(t.stateText))") }
        let shown = named.prefix(10).joined(separator: ", ")
        return head + "; not healthy: " + shown + (named.count > 10 ? " and \(named.count - 10) more" : "")
    }
}
