import AWSServices

/// The pure core of `verify.alarms`: the alarms' states at times since the start in, the lines to log and a verdict out.
///
/// Any watched alarm in ALARM fails it at once, naming the alarm and its
/// reason; so does a watched name CloudWatch does not know. OK and
/// INSUFFICIENT_DATA are not alarming. Once `windowSeconds` have passed with
/// none alarming, it passes. A line is logged per change of an alarm's state,
/// never per look.
package struct AlarmWatch {
    /// What one look says.
    package enum Verdict: Equatable {
        case waiting
        /// The verdict line, e.g. `2/2 alarms OK for 60 s`.
        case passed(String)
        /// The verdict line, naming the alarms at fault.
        case failed(String)
    }

    /// The alarms watched, each once, in the order given.
    package let names: [String]
    /// How long they are watched.
    package let windowSeconds: Int
    /// Each alarm's state as last logged.
    private var states: [String: String] = [:]
    /// Watched alarms not alarming at the last look.
    package private(set) var ok = 0

    /// Starts a watch of `alarmNames` (duplicates count once).
    package init(alarmNames: [String], windowSeconds: Int) {
        var seen: Set<String> = []
        names = alarmNames.filter { seen.insert($0).inserted }
        self.windowSeconds = max(0, windowSeconds)
    }

    /// Looks at DescribeAlarms' answer at `elapsed` since the start; returns the verdict and the lines to log.
    package mutating func observe(_ alarms: [CloudWatchAlarm], at elapsed: Duration) -> (Verdict, [String]) {
        var byName: [String: CloudWatchAlarm] = [:]
        for a in alarms where byName[a.name] == nil { byName[a.name] = a }
        var lines: [String] = []
        var missing: [String] = []
        var alarming: [CloudWatchAlarm] = []
        for name in names {
            guard let a = byName[name] else {
                missing.append(name)
                continue
            }
            let reason = a.stateReason.isEmpty ? "" : " (\(a.stateReason.prefix(256)))"
            let text = a.stateValue + reason
            if states[name] != text {
                states[name] = text
                lines.append("alarm \(name): \(text)")
            }
            if a.stateValue == "ALARM" { alarming.append(a) }
        }
        ok = names.count - missing.count - alarming.count
        let head = "\(ok)/\(names.count) alarms OK after \(elapsed.components.seconds) s"
        if !missing.isEmpty {
            let list = missing.prefix(10).joined(separator: ", ") + (missing.count > 10 ? " and \(missing.count - 10) more" : "")
            return (.failed(head + ": " + (missing.count == 1 ? "alarm \(list) does not exist" : "alarms \(list) do not exist")), lines)
        }
        if !alarming.isEmpty {
            let list = alarming.prefix(10).map { "\($0.name) is in ALARM (\($0.stateReason.prefix(256)))" }.joined(separator: "; ")
            return (.failed(head + ": " + list + (alarming.count > 10 ? "; and \(alarming.count - 10) more" : "")), lines)
        }
        if elapsed >= .seconds(windowSeconds) {
            return (.passed("\(ok)/\(names.count) alarms OK for \(windowSeconds) s"), lines)
        }
        return (.waiting, lines)
    }

    /// The pause before the next look at `elapsed`: at most 5 s, and no later than the window's end.
    package func pause(at elapsed: Duration) -> Duration {
        VerifySchedule.pause(at: elapsed, passAt: .seconds(windowSeconds), giveUpAt: nil)
    }
}
