import DelegateProtocol
import Foundation
import HTTPClient

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

    /// Sends one call and decodes the answer (`nil` for 204).
    public func call<R: Decodable>(_ method: String, _ path: String, body: (some Encodable)? = Optional<String>.none, timeout: Duration? = nil, as: R.Type = R.self) async throws -> R? {
        let endpoint = endpoints.current
        var request = HTTPClientRequest(method: method, url: endpoint.url + path, timeout: timeout ?? callTimeout)
        request.headers = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
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
        if response.status == 204 { return nil }
        guard (200..<300).contains(response.status) else {
            if let e = try? ProtocolV1.decoder().decode(ErrorBody.self, from: response.body) {
                throw ManagerClientError.http(status: response.status, code: e.error.code, message: e.error.message)
            }
            let snippet = String(decoding: response.body.prefix(200), as: UTF8.self)
            throw ManagerClientError.http(status: response.status, code: "http_\(response.status)", message: snippet.isEmpty ? "(empty body)" : snippet)
        }
        do {
            try JSONNesting.check(response.body)
            return try ProtocolV1.decoder().decode(R.self, from: response.body)
        } catch let e as DecodingError {
            throw ManagerClientError.badResponse("\(method) \(path): \(describe(e))")
        } catch let e as JSONNestingError {
            throw ManagerClientError.badResponse("\(method) \(path): \(e)")
        }
    }

    private func required<R: Decodable>(_ method: String, _ path: String, body: (some Encodable)? = Optional<String>.none, timeout: Duration? = nil) async throws -> R {
        guard let r: R = try await call(method, path, body: body, timeout: timeout) else {
            throw ManagerClientError.badResponse("\(method) \(path): empty answer")
        }
        return r
    }

    // MARK: delegate calls

    /// Registers the delegate.
    public func register(_ r: RegisterRequest) async throws -> RegisterResponse {
        try await required("POST", "/v1/delegates/register", body: r)
    }

    /// Sends a heartbeat.
    public func heartbeat(delegateId: String, _ hb: HeartbeatRequest) async throws -> HeartbeatResponse {
        try await required("POST", "/v1/delegates/\(delegateId)/heartbeat", body: hb)
    }

    /// Long-polls for the next task; nil when none came within `wait`.
    public func nextTask(delegateId: String, wait: Double) async throws -> TaskEnvelope? {
        let w = String(format: "%.3f", wait)
        return try await call("GET", "/v1/delegates/\(delegateId)/tasks/next?wait=\(w)", timeout: .seconds(clamping: wait, to: 0...3600) + callTimeout)
    }

    /// Ships a batch of log lines.
    public func sendLogs(taskId: String, _ batch: LogBatch) async throws -> LogAck {
        try await required("POST", "/v1/tasks/\(taskId)/logs", body: batch)
    }

    /// Delivers a result.
    public func sendResult(taskId: String, _ result: TaskResult) async throws {
        let _: [String: String] = try await required("POST", "/v1/tasks/\(taskId)/result", body: result)
    }

    /// Says goodbye.
    public func unregister(delegateId: String, reason: String) async throws {
        let _: [String: String] = try await required("POST", "/v1/delegates/\(delegateId)/unregister", body: UnregisterRequest(reason: reason))
    }

    // MARK: administration

    /// Queues a task.
    public func submit(_ s: SubmitTaskRequest) async throws -> TaskInfo {
        try await required("POST", "/v1/tasks", body: s)
    }

    /// One task.
    public func task(_ id: String) async throws -> TaskInfo {
        try await required("GET", "/v1/tasks/\(id)")
    }

    /// Recent tasks, newest first.
    public func tasks(limit: Int = 100) async throws -> [TaskInfo] {
        try await required("GET", "/v1/tasks?limit=\(limit)")
    }

    /// Log lines after `after`, waiting up to `wait` seconds for the first new one.
    public func logs(taskId: String, after: Int64, wait: Double = 0) async throws -> LogPage {
        try await required("GET", "/v1/tasks/\(taskId)/logs?after=\(after)&wait=\(wait)", timeout: .seconds(clamping: wait, to: 0...3600) + .seconds(30))
    }

    /// Requests cancellation.
    public func cancel(taskId: String) async throws {
        let _: [String: String] = try await required("POST", "/v1/tasks/\(taskId)/cancel", body: [String: String]())
    }

    /// Registered delegates.
    public func delegates() async throws -> [DelegateInfo] {
        try await required("GET", "/v1/delegates")
    }
}
