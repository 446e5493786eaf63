import Foundation

/// The manager protocol's wire types, version 1 (see docs/protocol.md).
public enum ProtocolV1 {
    /// The version these types describe; sent as `protocolVersion` in registration.
    public static let version = 1
    /// The JSON encoder both sides use (ISO 8601 dates, sorted keys for stable bodies).
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601withFractionalSeconds
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
    /// The JSON decoder both sides use.
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601withFractionalSeconds
        return d
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// ISO 8601 with milliseconds, e.g. `2026-11-27T10:01:32.123Z`.
    public static let iso8601withFractionalSeconds = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var c = encoder.singleValueContainer()
        try c.encode(ISO8601Millis.string(from: date))
    }
}

extension JSONDecoder.DateDecodingStrategy {
    /// ISO 8601 with or without fractional seconds.
    public static let iso8601withFractionalSeconds = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = ISO8601Millis.date(from: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 time: \(s)")
        }
        return d
    }
}

/// ISO 8601 formatting with milliseconds, thread-safe.
public enum ISO8601Millis {
    private static let millis = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let whole = Date.ISO8601FormatStyle()

    /// Formats a date as `yyyy-MM-ddTHH:mm:ss.SSSZ` (UTC).
    public static func string(from date: Date) -> String {
        date.formatted(millis)
    }

    /// Parses ISO 8601 with or without fractional seconds.
    public static func date(from s: String) -> Date? {
        (try? millis.parse(s)) ?? (try? whole.parse(s))
    }
}

/// `POST /v1/delegates/register` body.
public struct RegisterRequest: Codable, Sendable, Equatable {
    public var name: String
    public var hostname: String
    public var version: String
    public var tags: [String]
    public var capacity: Int
    public var taskTypes: [String]
    /// Stable per state directory: a restarted delegate keeps its identity.
    public var instanceId: String
    public var protocolVersion: Int
    /// Tasks an earlier run of this instance began (its journal says so) and still has to report.
    ///
    /// On a re-registration the manager puts back in the queue every task it had
    /// leased to this instance that is neither started nor listed here: the old
    /// process took it and died before running it.
    public var heldTaskIds: [String]?

    /// Creates a registration.
    public init(name: String, hostname: String, version: String, tags: [String], capacity: Int, taskTypes: [String], instanceId: String, heldTaskIds: [String]? = nil) {
        self.heldTaskIds = heldTaskIds
        self.name = name
        self.hostname = hostname
        self.version = version
        self.tags = tags
        self.capacity = capacity
        self.taskTypes = taskTypes
        self.instanceId = instanceId
        self.protocolVersion = ProtocolV1.version
    }
}

/// The manager's answer to registration: the delegate's id and the fleet's tuning.
public struct RegisterResponse: Codable, Sendable, Equatable {
    public var delegateId: String
    public var heartbeatSeconds: Double
    public var pollWaitSeconds: Double
    public var logFlushMillis: Int
    public var logBatchMaxLines: Int
    public var logBatchMaxBytes: Int
    public var protocolVersion: Int

    /// Creates an answer.
    public init(delegateId: String, heartbeatSeconds: Double, pollWaitSeconds: Double, logFlushMillis: Int, logBatchMaxLines: Int, logBatchMaxBytes: Int) {
        self.delegateId = delegateId
        self.heartbeatSeconds = heartbeatSeconds
        self.pollWaitSeconds = pollWaitSeconds
        self.logFlushMillis = logFlushMillis
        self.logBatchMaxLines = logBatchMaxLines
        self.logBatchMaxBytes = logBatchMaxBytes
        self.protocolVersion = ProtocolV1.version
    }
}

/// A task the delegate holds, with the lease it holds it under.
public struct RunningTask: Codable, Sendable, Equatable {
    public var taskId: String
    public var leaseId: String
    /// Creates an entry.
    public init(taskId: String, leaseId: String) {
        self.taskId = taskId
        self.leaseId = leaseId
    }
}

/// `POST /v1/delegates/{id}/heartbeat` body.
public struct HeartbeatRequest: Codable, Sendable, Equatable {
    public var running: [RunningTask]
    public var freeCapacity: Int
    /// `active` or `draining` (shutting down: send no more tasks).
    public var status: String
    /// Creates a heartbeat.
    public init(running: [RunningTask], freeCapacity: Int, status: String) {
        self.running = running
        self.freeCapacity = freeCapacity
        self.status = status
    }
}

/// The manager's answer to a heartbeat.
public struct HeartbeatResponse: Codable, Sendable, Equatable {
    /// Task ids whose leases were renewed.
    public var renewed: [String]
    /// Task ids the delegate must cancel.
    public var cancel: [String]
    /// The manager asks the delegate to take no new tasks.
    public var drain: Bool
    /// Creates an answer.
    public init(renewed: [String], cancel: [String], drain: Bool) {
        self.renewed = renewed
        self.cancel = cancel
        self.drain = drain
    }
}

/// A leased task as the long poll hands it out.
public struct TaskEnvelope: Codable, Sendable, Equatable {
    public var taskId: String
    public var leaseId: String
    public var type: String
    public var selectors: [String]
    public var timeoutSeconds: Int
    /// The pipeline run this task belongs to; keys rollback snapshots.
    public var executionId: String?
    /// The cloud connector (AWS region and credentials) as the manager sends it.
    public var connector: JSONValue?
    /// Secret values by name; masked in every log line.
    public var secrets: [String: String]
    /// The type-specific input.
    public var payload: JSONValue

    /// The task time limits both sides accept, seconds (up to a week).
    public static let timeoutRange: ClosedRange<Int> = 1...604_800

    /// Creates an envelope.
    public init(taskId: String, leaseId: String, type: String, selectors: [String], timeoutSeconds: Int, executionId: String? = nil, connector: JSONValue? = nil, secrets: [String: String] = [:], payload: JSONValue) {
        self.taskId = taskId
        self.leaseId = leaseId
        self.type = type
        self.selectors = selectors
        self.timeoutSeconds = timeoutSeconds
        self.executionId = executionId
        self.connector = connector
        self.secrets = secrets
        self.payload = payload
    }

    enum CodingKeys: String, CodingKey {
        case taskId, leaseId, type, selectors, timeoutSeconds, executionId, connector, secrets, payload
    }

    /// Decodes an envelope; optional members default, a missing required one names itself.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskId = try c.decode(String.self, forKey: .taskId)
        leaseId = try c.decode(String.self, forKey: .leaseId)
        type = try c.decode(String.self, forKey: .type)
        selectors = try c.decodeIfPresent([String].self, forKey: .selectors) ?? []
        timeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .timeoutSeconds) ?? 1800
        executionId = try c.decodeIfPresent(String.self, forKey: .executionId)
        connector = try c.decodeIfPresent(JSONValue.self, forKey: .connector)
        secrets = try c.decodeIfPresent([String: String].self, forKey: .secrets) ?? [:]
        payload = try c.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .emptyObject
    }
}

/// One log line of a task.
public struct LogLine: Codable, Sendable, Equatable {
    /// Dense per task, starting at 1.
    public var seq: Int64
    public var time: Date
    /// `debug`, `info`, `warn` or `error`.
    public var level: String
    /// The section the line belongs to, e.g. "Deploy".
    public var unit: String
    public var text: String
    /// Creates a line.
    public init(seq: Int64, time: Date, level: String, unit: String, text: String) {
        self.seq = seq
        self.time = time
        self.level = level
        self.unit = unit
        self.text = text
    }
}

/// `POST /v1/tasks/{taskId}/logs` body.
public struct LogBatch: Codable, Sendable, Equatable {
    public var leaseId: String
    public var lines: [LogLine]
    /// Creates a batch.
    public init(leaseId: String, lines: [LogLine]) {
        self.leaseId = leaseId
        self.lines = lines
    }
}

/// The manager's answer to a log batch.
public struct LogAck: Codable, Sendable, Equatable {
    /// Every line up to and including this seq is stored.
    public var ackedThroughSeq: Int64
    /// The task was cancelled: stop it.
    public var cancel: Bool
    /// Creates an acknowledgement.
    public init(ackedThroughSeq: Int64, cancel: Bool) {
        self.ackedThroughSeq = ackedThroughSeq
        self.cancel = cancel
    }
}

/// How a task ended.
public enum TaskStatus: String, Codable, Sendable, Equatable, CaseIterable {
    case succeeded, failed, cancelled, rejected
}

/// Why a task failed: a stable code and a message a user can act on.
public struct TaskError: Codable, Sendable, Equatable, Error {
    public var code: String
    public var message: String
    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// `POST /v1/tasks/{taskId}/result` body.
public struct TaskResult: Codable, Sendable, Equatable {
    public var leaseId: String
    public var status: TaskStatus
    public var outputs: [String: JSONValue]
    public var error: TaskError?
    /// What the task recorded before changing anything, for rollback.
    public var rollbackSnapshot: JSONValue?
    /// Creates a result.
    public init(leaseId: String, status: TaskStatus, outputs: [String: JSONValue] = [:], error: TaskError? = nil, rollbackSnapshot: JSONValue? = nil) {
        self.leaseId = leaseId
        self.status = status
        self.outputs = outputs
        self.error = error
        self.rollbackSnapshot = rollbackSnapshot
    }
}

/// `POST /v1/delegates/{id}/unregister` body.
public struct UnregisterRequest: Codable, Sendable, Equatable {
    public var reason: String
    /// Creates a request.
    public init(reason: String) { self.reason = reason }
}

/// The body of every error answer: `{"error": {"code": ..., "message": ...}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public var error: TaskError
    /// Creates an error body.
    public init(code: String, message: String) { error = TaskError(code: code, message: message) }
}

// MARK: - Manager administration (submit, watch, list)

/// `POST /v1/tasks` body: queue a task.
public struct SubmitTaskRequest: Codable, Sendable, Equatable {
    public var type: String
    public var selectors: [String]
    public var payload: JSONValue
    public var timeoutSeconds: Int?
    public var executionId: String?
    public var connector: JSONValue?
    public var secrets: [String: String]?
    /// Creates a submission.
    public init(type: String, selectors: [String], payload: JSONValue, timeoutSeconds: Int? = nil, executionId: String? = nil, connector: JSONValue? = nil, secrets: [String: String]? = nil) {
        self.type = type
        self.selectors = selectors
        self.payload = payload
        self.timeoutSeconds = timeoutSeconds
        self.executionId = executionId
        self.connector = connector
        self.secrets = secrets
    }
}

/// A task as the manager reports it.
public struct TaskInfo: Codable, Sendable, Equatable {
    public var taskId: String
    public var type: String
    public var selectors: [String]
    /// `queued`, `leased`, `running`, `succeeded`, `failed`, `cancelled` or `rejected`.
    public var state: String
    public var delegateId: String?
    public var createdAt: Date
    public var finishedAt: Date?
    public var outputs: [String: JSONValue]?
    public var error: TaskError?
    public var rollbackSnapshot: JSONValue?
    public var executionId: String?
    /// For a queued task: why no delegate has taken it yet.
    public var waitingReason: String?
    /// Lines the manager holds.
    public var logLines: Int64
    /// Creates a task report.
    public init(taskId: String, type: String, selectors: [String], state: String, delegateId: String?, createdAt: Date, finishedAt: Date?, outputs: [String: JSONValue]?, error: TaskError?, rollbackSnapshot: JSONValue?, executionId: String?, waitingReason: String?, logLines: Int64) {
        self.taskId = taskId
        self.type = type
        self.selectors = selectors
        self.state = state
        self.delegateId = delegateId
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.outputs = outputs
        self.error = error
        self.rollbackSnapshot = rollbackSnapshot
        self.executionId = executionId
        self.waitingReason = waitingReason
        self.logLines = logLines
    }

    /// Whether the task has ended.
    public var isFinished: Bool { TaskStatus(rawValue: state) != nil }
}

/// A page of a task's log lines.
public struct LogPage: Codable, Sendable, Equatable {
    public var lines: [LogLine]
    /// The task's state when the page was read.
    public var state: String
    /// Creates a page.
    public init(lines: [LogLine], state: String) {
        self.lines = lines
        self.state = state
    }
}

/// A delegate as the manager reports it.
public struct DelegateInfo: Codable, Sendable, Equatable {
    public var delegateId: String
    public var name: String
    public var hostname: String
    public var version: String
    public var tags: [String]
    public var capacity: Int
    public var freeCapacity: Int
    /// `connected`, `draining`, `disconnected` or `unregistered`.
    public var state: String
    public var lastHeartbeat: Date?
    /// Creates a delegate report.
    public init(delegateId: String, name: String, hostname: String, version: String, tags: [String], capacity: Int, freeCapacity: Int, state: String, lastHeartbeat: Date?) {
        self.delegateId = delegateId
        self.name = name
        self.hostname = hostname
        self.version = version
        self.tags = tags
        self.capacity = capacity
        self.freeCapacity = freeCapacity
        self.state = state
        self.lastHeartbeat = lastHeartbeat
    }
}

/// Selector routing: a delegate may run a task when its tags include every selector.
public enum Selectors {
    /// Whether `tags` satisfy every one of `selectors` (case-insensitive).
    public static func satisfied(_ selectors: [String], by tags: [String]) -> Bool {
        let have = Set(tags.map { $0.lowercased() })
        return selectors.allSatisfy { have.contains($0.lowercased()) }
    }

    /// The selectors `tags` lack.
    public static func missing(_ selectors: [String], from tags: [String]) -> [String] {
        let have = Set(tags.map { $0.lowercased() })
        return selectors.filter { !have.contains($0.lowercased()) }
    }
}
