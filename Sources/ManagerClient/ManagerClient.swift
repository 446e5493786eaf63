import DelegateProtocol
import Foundation
import HTTPClient
import ManagerAPI
import Pipelines

/// Why a manager call failed.
public enum ManagerClientError: Error, Sendable, CustomStringConvertible {
    /// The manager answered with an error status.
    case http(status: Int, code: String, message: String)
    /// No answer: connection refused, timeout, reset.
    case transport(HTTPClientError)
    /// The answer was not what the protocol says.
    case badResponse(String)

    public var description: String {
        switch self {
        case .http(let status, let code, let message): return "manager answered \(status) \(code): \(message)"
        case .transport(let e): return "manager unreachable: \(e.message)"
        case .badResponse(let m): return "manager sent an invalid answer: \(m)"
        }
    }

    /// The HTTP status, if the manager answered.
    public var status: Int? {
        if case .http(let s, _, _) = self { return s }
        return nil
    }

    /// Whether a retry of the same call may succeed (transport errors, 5xx, 429, garbage).
    public var isRetryable: Bool {
        switch self {
        case .transport: return true
        case .badResponse: return true
        case .http(let s, _, _): return s >= 500 || s == 429 || s == 408
        }
    }
}

/// A typed client for the manager protocol (delegate calls and administration).
///
/// Given several base URLs (manager replicas on one database), it calls one
/// at a time and moves to the next when a call gets no answer or a gateway
/// error (`ManagerEndpoints`); the caller's own retry and backoff then reach
/// the next replica. Every replica shares the state, so a retried call means
/// the same thing wherever it lands.
public struct ManagerClient: Sendable {
    /// The base URL calls go to now, e.g. `http://127.0.0.1:8080`.
    public var baseURL: String { endpoints.current.url }
    /// Every base URL, in the order they are tried.
    public var baseURLs: [String] { endpoints.urls }
    /// Which base URL is in use, shared by copies of this client.
    public let endpoints: ManagerEndpoints
    private let token: String
    private let http: HTTPClient
    /// Time limit for calls that are not long polls.
    public var callTimeout: Duration = .seconds(30)

    /// Creates a client; `token` is sent as a bearer token and never logged.
    public init(baseURL: String, token: String, http: HTTPClient) {
        self.init(baseURLs: [baseURL], token: token, http: http)
    }

    /// Creates a client for several replicas of one manager, tried in order (at least one URL).
    public init(baseURLs: [String], token: String, http: HTTPClient) {
        self.endpoints = ManagerEndpoints(urls: baseURLs)
        self.token = token
        self.http = http
    }

    /// Sends one call to `route` and decodes the answer (`nil` for 204).
    public func call<R: Decodable>(_ route: ManagerRoute, body: (some Encodable)? = Optional<String>.none, timeout: Duration? = nil, as: R.Type = R.self) async throws -> R? {
        try await call(route.method, route.path, body: body, timeout: timeout, as: R.self)
    }

    /// Sends one call to `path` (already encoded, with its query) and decodes the answer (`nil` for 204); the typed calls below
    /// build their paths with `ManagerRoutes`.
    public func call<R: Decodable>(_ method: String, _ path: String, body: (some Encodable)? = Optional<String>.none, timeout: Duration? = nil, as: R.Type = R.self) async throws -> R? {
        let response = try await exchange(method, path, body: body, timeout: timeout, accept: "application/json")
        if response.status == 204 { return nil }
        do {
            try JSONNesting.check(response.body)
            return try ProtocolV1.decoder().decode(R.self, from: response.body)
        } catch let e as DecodingError {
            throw ManagerClientError.badResponse("\(method) \(path): \(describe(e))")
        } catch let e as JSONNestingError {
            throw ManagerClientError.badResponse("\(method) \(path): \(e)")
        }
    }

    /// The manager's metrics, Prometheus text (`GET /metrics`).
    public func metrics() async throws -> String {
        let route = try ManagerRoutes.metrics()
        let response = try await exchange(route.method, route.path, body: Optional<String>.none, timeout: nil, accept: "text/plain")
        return String(decoding: response.body, as: UTF8.self)
    }

    /// Sends one call and answers a 2xx response; an error status, or no answer, as `ManagerClientError` (a replica that
    /// does not answer is marked failed, so the next call tries the next one).
    private func exchange(_ method: String, _ path: String, body: (some Encodable)?, timeout: Duration?, accept: String) async throws -> HTTPClientResponse {
        let endpoint = endpoints.current
        var request = HTTPClientRequest(method: method, url: endpoint.url + path, timeout: timeout ?? callTimeout)
        request.headers = [("Authorization", "Bearer \(token)"), ("Accept", accept)]
        if let body {
            request.body = try ProtocolV1.encoder().encode(body)
            request.headers.append(("Content-Type", "application/json"))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.send(request)
        } catch let e as HTTPClientError {
            if !Task.isCancelled { endpoints.failed(endpoint, why: e.message) }
            throw ManagerClientError.transport(e)
        }
        // A load balancer or proxy in front of a replica that is gone.
        if (502...504).contains(response.status) { endpoints.failed(endpoint, why: "HTTP \(response.status)") }
        guard (200..<300).contains(response.status) else {
            if let e = try? ProtocolV1.decoder().decode(ErrorBody.self, from: response.body) {
                throw ManagerClientError.http(status: response.status, code: e.error.code, message: e.error.message)
            }
            let snippet = String(decoding: response.body.prefix(200), as: UTF8.self)
            throw ManagerClientError.http(status: response.status, code: "http_\(response.status)", message: snippet.isEmpty ? "(empty body)" : snippet)
        }
        return response
    }

    /// Sends one call to `route` and decodes the answer, refusing an empty one.
    private func required<R: Decodable>(_ route: ManagerRoute, body: (some Encodable)? = Optional<String>.none, timeout: Duration? = nil) async throws -> R {
        guard let r: R = try await call(route, body: body, timeout: timeout) else {
            throw ManagerClientError.badResponse("\(route.method) \(route.path): empty answer")
        }
        return r
    }

    /// The time limit of a call that waits up to `wait` seconds on the manager.
    private func waiting(_ wait: Double) -> Duration {
        .seconds(clamping: wait, to: 0...3600) + callTimeout
    }

    /// Whether the manager answers: `{"status": "ok"}` for any live token.
    public func health() async throws -> StatusAnswer {
        try await required(ManagerRoutes.health())
    }

    // MARK: delegate calls

    /// Registers the delegate.
    public func register(_ r: RegisterRequest) async throws -> RegisterResponse {
        try await required(ManagerRoutes.register(), body: r)
    }

    /// Sends a heartbeat.
    public func heartbeat(delegateId: String, _ hb: HeartbeatRequest) async throws -> HeartbeatResponse {
        try await required(ManagerRoutes.heartbeat(delegateId: delegateId), body: hb)
    }

    /// Long-polls for the next task; nil when none came within `wait`.
    public func nextTask(delegateId: String, wait: Double) async throws -> TaskEnvelope? {
        try await call(ManagerRoutes.nextTask(delegateId: delegateId, wait: wait), timeout: waiting(wait))
    }

    /// Ships a batch of log lines.
    public func sendLogs(taskId: String, _ batch: LogBatch) async throws -> LogAck {
        try await required(ManagerRoutes.sendLogs(taskId: taskId), body: batch)
    }

    /// Delivers a result.
    public func sendResult(taskId: String, _ result: TaskResult) async throws {
        let _: StatusAnswer = try await required(ManagerRoutes.sendResult(taskId: taskId), body: result)
    }

    /// Says goodbye.
    public func unregister(delegateId: String, reason: String) async throws {
        let _: StatusAnswer = try await required(ManagerRoutes.unregister(delegateId: delegateId), body: UnregisterRequest(reason: reason))
    }

    // MARK: tasks

    /// Queues a task.
    public func submit(_ s: SubmitTaskRequest) async throws -> TaskInfo {
        try await required(ManagerRoutes.submitTask(), body: s)
    }

    /// Queues a task that may name stored connectors; answers its report with the connector that routes it.
    public func submit(_ s: TaskSubmission) async throws -> TaskReport {
        try await required(ManagerRoutes.submitTask(), body: s)
    }

    /// One task.
    public func task(_ id: String) async throws -> TaskInfo {
        try await required(ManagerRoutes.task(id: id))
    }

    /// One task's report: the task, with the stored connector that routes it.
    public func taskReport(_ id: String) async throws -> TaskReport {
        try await required(ManagerRoutes.task(id: id))
    }

    /// Recent tasks, newest first, a queued one saying why it waits.
    public func tasks(limit: Int = 100) async throws -> [TaskReport] {
        try await required(ManagerRoutes.tasks(limit: limit))
    }

    /// Log lines after `after` (at most `limit`, the manager's default without it), waiting up to `wait` seconds for the first new one.
    public func logs(taskId: String, after: Int64, wait: Double = 0, limit: Int? = nil) async throws -> LogPage {
        try await required(ManagerRoutes.taskLogs(taskId: taskId, after: after, wait: wait, limit: limit), timeout: .seconds(clamping: wait, to: 0...3600) + .seconds(30))
    }

    /// Requests cancellation: `cancelled` when it had not started, `cancel requested` when its delegate is told.
    @discardableResult
    public func cancel(taskId: String) async throws -> StatusAnswer {
        try await required(ManagerRoutes.cancelTask(id: taskId), body: [String: String]())
    }

    /// Registered delegates.
    public func delegates() async throws -> [DelegateInfo] {
        try await required(ManagerRoutes.delegates())
    }

    // MARK: executions

    /// Starts an execution of a pipeline the client expanded.
    public func startExecution(_ request: StartExecutionRequest) async throws -> ExecutionReport {
        try await required(ManagerRoutes.startExecution(), body: request)
    }

    /// Recent executions, newest first.
    public func executions(limit: Int = 100) async throws -> [ExecutionReport] {
        try await required(ManagerRoutes.executions(limit: limit))
    }

    /// One execution.
    public func execution(_ id: String) async throws -> ExecutionReport {
        try await required(ManagerRoutes.execution(id: id))
    }

    /// Cancels an execution: its running task is cancelled and what ran is rolled back.
    @discardableResult
    public func cancelExecution(_ id: String) async throws -> ExecutionReport {
        try await required(ManagerRoutes.cancelExecution(id: id), body: [String: String]())
    }

    /// Rolls back a succeeded execution from the snapshots its steps kept.
    @discardableResult
    public func rollbackExecution(_ id: String) async throws -> ExecutionReport {
        try await required(ManagerRoutes.rollbackExecution(id: id), body: [String: String]())
    }

    /// Approves the approval an execution waits at; the execution goes on.
    @discardableResult
    public func approveExecution(_ id: String, comment: String? = nil) async throws -> ExecutionReport {
        try await required(ManagerRoutes.approveExecution(id: id), body: GateDecisionRequest(comment: comment))
    }

    /// Rejects the approval an execution waits at; what ran is rolled back (the gate's `onFailure`).
    @discardableResult
    public func rejectExecution(_ id: String, comment: String? = nil) async throws -> ExecutionReport {
        try await required(ManagerRoutes.rejectExecution(id: id), body: GateDecisionRequest(comment: comment))
    }

    // MARK: connectors

    /// Stored connectors, by name.
    public func connectors() async throws -> [ConnectorRecord] {
        try await required(ManagerRoutes.connectors())
    }

    /// One stored connector.
    public func connector(_ name: String) async throws -> ConnectorRecord {
        try await required(ManagerRoutes.connector(name: name))
    }

    /// Creates or replaces the connector named `connector.name`.
    @discardableResult
    public func putConnector(_ connector: Connector) async throws -> ConnectorRecord {
        try await required(ManagerRoutes.putConnector(name: connector.name), body: connector)
    }

    /// Deletes a stored connector.
    @discardableResult
    public func deleteConnector(_ name: String) async throws -> StatusAnswer {
        try await required(ManagerRoutes.deleteConnector(name: name))
    }

    /// Queues the connector's validation task on a delegate carrying its selectors; answers the task's report.
    public func testConnector(_ name: String) async throws -> TaskReport {
        try await required(ManagerRoutes.testConnector(name: name), body: [String: String]())
    }

    // MARK: secrets

    /// Stored secrets' names and times (never values).
    public func secrets() async throws -> [SecretInfo] {
        try await required(ManagerRoutes.secrets())
    }

    /// Creates or replaces a secret.
    @discardableResult
    public func putSecret(_ name: String, value: String) async throws -> SecretInfo {
        try await required(ManagerRoutes.putSecret(name: name), body: SetSecretRequest(value: value))
    }

    /// Deletes a secret.
    @discardableResult
    public func deleteSecret(_ name: String) async throws -> StatusAnswer {
        try await required(ManagerRoutes.deleteSecret(name: name))
    }

    // MARK: notifications

    /// The stored notifiers.
    public func notifiers() async throws -> [NotifierSpec] {
        try await required(ManagerRoutes.notifiers())
    }

    /// Creates or replaces a notifier.
    @discardableResult
    public func putNotifier(_ notifier: NotifierSpec) async throws -> AppliedNotifier {
        try await required(ManagerRoutes.putNotifier(name: notifier.name), body: notifier)
    }

    /// Deletes a notifier (its pending deliveries are given up).
    @discardableResult
    public func deleteNotifier(_ name: String) async throws -> StatusAnswer {
        try await required(ManagerRoutes.deleteNotifier(name: name))
    }

    /// The newest notification deliveries, at most `limit`.
    public func deliveries(limit: Int = 100) async throws -> [NotificationDelivery] {
        try await required(ManagerRoutes.deliveries(limit: limit))
    }

    // MARK: tokens and audit

    /// Every token's name, kind, scope and times (never values).
    public func tokens() async throws -> [TokenInfo] {
        try await required(ManagerRoutes.tokens())
    }

    /// Creates a token; the answer is the only time its value is shown.
    public func createToken(_ request: CreateTokenRequest) async throws -> CreatedToken {
        try await required(ManagerRoutes.createToken(), body: request)
    }

    /// Revokes a token at once.
    @discardableResult
    public func revokeToken(_ name: String) async throws -> RevokeTokenAnswer {
        try await required(ManagerRoutes.revokeToken(name: name), body: [String: String]())
    }

    /// The latest `limit` audit entries at or after `since`, oldest first.
    public func audit(since: Date? = nil, limit: Int = 1000) async throws -> [AuditEntry] {
        try await required(ManagerRoutes.audit(since: since, limit: limit))
    }
}
