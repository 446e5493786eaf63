import Foundation
import Logging
import Synchronization

/// A swift-log handler writing one JSON object per line to standard error: for log shippers that parse JSON (`log_format: json`).
///
/// Each line is `{"time":"2026-12-07T19:45:00.123Z","level":"info","label":"ecs-delegate","message":"...","metadata":{...}}`;
/// metadata values are written as strings (nested lists and dictionaries as their text). A line never spans two: the
/// message's line breaks are escaped by JSON.
public struct JSONLogHandler: LogHandler {
    /// The least level written.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line of this logger.
    public var metadata: Logger.Metadata = [:]
    /// Metadata taken from the task's context at each line.
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: LineSink

    /// A handler for `label`, writing to `sink` (standard error by default).
    public init(label: String, sink: LineSink = .standardError) {
        self.label = label
        self.sink = sink
    }

    /// One line as it is written.
    struct Entry: Encodable {
        var time: String
        var level: String
        var label: String
        var message: String
        var metadata: [String: String]?
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        var all = self.metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit { all.merge(explicit) { _, new in new } }
        let entry = Entry(
            time: Self.timestamp(Date()), level: level.rawValue, label: label, message: message.description,
            metadata: all.isEmpty ? nil : all.mapValues(\.description))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(entry) else { return }
        data.append(0x0A)
        sink.write(data)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let millis = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `date` as RFC 3339 UTC with milliseconds (`2026-12-07T19:45:00.123Z`).
    static func timestamp(_ date: Date) -> String {
        date.formatted(millis)
    }
}

/// Where log lines go: whole lines, one writer at a time.
public final class LineSink: Sendable {
    private let write: @Sendable (Data) -> Void
    private let lock = Mutex(())

    /// A sink handing each line to `write`.
    public init(_ write: @escaping @Sendable (Data) -> Void) {
        self.write = write
    }

    /// Standard error, unbuffered.
    public static let standardError = LineSink { FileHandle.standardError.write($0) }

    /// Writes one line.
    func write(_ line: Data) {
        lock.withLock { _ in write(line) }
    }
}

/// How a daemon writes its log: `text` (swift-log's stream format) or `json` (one object per line).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    /// Makes every logger of the process write in this format at `level` (once, at start).
    public func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var h = JSONLogHandler(label: label)
                h.logLevel = level
                return h
            }
        }
    }
}
