import ArgumentParser
import DelegateProtocol

/// How `--follow` and `logs` print a task's line: its time and level before the text, unless `--no-timestamps`.
struct LogLineFormat: ParsableArguments {
    @Flag(name: .customLong("no-timestamps"), help: "Print log lines without their time and level.") var noTimestamps = false

    /// `line` as printed: `2026-12-07T19:45:00.123Z INFO  Creating Service myapp`, or its text alone.
    func text(_ line: LogLine) -> String {
        if noTimestamps { return line.text }
        let level = line.level.uppercased()
        return ISO8601Millis.string(from: line.time) + " " + level + String(repeating: " ", count: max(1, 6 - level.count)) + line.text
    }
}
