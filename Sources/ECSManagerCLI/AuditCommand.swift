import ArgumentParser
import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerClient

/// `ecs-manager audit [--since]`: who did what, and when.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit trail: time, token name, action, target (submit, run, cancel, rollback, connectors, secrets, tokens, delegates).")
    @OptionGroup var options: ClientOptions
    @Option(help: "Only entries from this time on: ISO 8601 (2026-01-31T12:00:00Z) or an age such as 30m, 12h, 7d.") var since: String?
    @Option(help: "At most this many entries, the latest (1 to 10000).") var limit: Int = 1000
    @OptionGroup var output: OutputOptions

    /// Refuses a bad --since or --limit before any call.
    func validate() throws {
        if let since, Self.time(since, now: Date()) == nil {
            throw ValidationError("--since must be an ISO 8601 time (2026-01-31T12:00:00Z) or an age such as 30m, 12h or 7d, got '\(since)'")
        }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000, got \(limit)") }
    }

    /// Runs the command.
    func run() async throws {
        let entries = try await options.client().audit(since: since.flatMap { Self.time($0, now: Date()) }, limit: limit)
        try output.print(entries) {
            Table("audit entries", columns: [.init(header: "TIME"), .init(header: "ACTOR"), .init(header: "ACTION"), .init(header: "TARGET"), .init(header: "DETAIL")],
                  rows: entries.map { [ISO8601Millis.string(from: $0.time), $0.actor, $0.action, $0.target, $0.detail ?? ""] })
        }
    }

    /// The time `text` names: an ISO 8601 time, or an age (a number and s, m, h or d) before `now`.
    static func time(_ text: String, now: Date) -> Date? {
        if let date = ISO8601Millis.date(from: text) { return date }
        guard let unit = text.last, let seconds = ["s": 1.0, "m": 60, "h": 3600, "d": 86400][String(unit)],
              let count = Int(text.dropLast()), (0...100_000).contains(count) else { return nil }
        return now.addingTimeInterval(-Double(count) * seconds)
    }
}
