/// When a verification that watches state (target health, alarms) looks next: every 5 s or sooner, and exactly when it could pass or must give up.
package enum VerifySchedule {
    /// The longest pause between two looks.
    package static let maxPause: Duration = .seconds(5)
    /// The shortest pause, so a look that lands a hair early does not spin.
    package static let minPause: Duration = .milliseconds(100)

    /// The pause after a look at `elapsed`: at most `maxPause`, and no later than `passAt` or `giveUpAt` (times since the start).
    package static func pause(at elapsed: Duration, passAt: Duration?, giveUpAt: Duration?) -> Duration {
        var pause = maxPause
        if let passAt { pause = min(pause, passAt - elapsed) }
        if let giveUpAt { pause = min(pause, giveUpAt - elapsed) }
        return max(pause, minPause)
    }
}
