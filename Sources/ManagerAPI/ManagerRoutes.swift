import DelegateProtocol
import Foundation

/// The one place that builds the manager's routes from typed arguments: path segments and query items encoded, never concatenated.
public enum ManagerRoutes {
    /// `GET /v1/health`.
    public static func health() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.health) }

    /// `GET /metrics`: Prometheus text, for any valid key.
    public static func metrics() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.metrics) }

    // MARK: delegate calls

    /// `POST /v1/delegates/register`.
    public static func register() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.register) }

    /// `POST /v1/delegates/{id}/heartbeat`.
    public static func heartbeat(delegateId: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.heartbeat, [delegateId]) }

    /// `GET /v1/delegates/{id}/tasks/next?wait=S`, the wait in seconds with millisecond precision.
    public static func nextTask(delegateId: String, wait: Double) throws(ManagerRouteError) -> ManagerRoute {
        try ManagerRoute(.nextTask, [delegateId], query: [URLQueryItem(name: "wait", value: String(format: "%.3f", wait))])
    }

    /// `POST /v1/delegates/{id}/unregister`.
    public static func unregister(delegateId: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.unregister, [delegateId]) }

    /// `POST /v1/tasks/{id}/logs`.
    public static func sendLogs(taskId: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.sendLogs, [taskId]) }

    /// `POST /v1/tasks/{id}/result`.
    public static func sendResult(taskId: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.sendResult, [taskId]) }

    /// `GET /v1/delegates`.
    public static func delegates() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.delegates) }

    // MARK: tasks

    /// `POST /v1/tasks`.
    public static func submitTask() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.submitTask) }

    /// `GET /v1/tasks?limit=N`.
    public static func tasks(limit: Int) throws(ManagerRouteError) -> ManagerRoute {
        try ManagerRoute(.tasks, query: [URLQueryItem(name: "limit", value: String(limit))])
    }

    /// `GET /v1/tasks/{id}`.
    public static func task(id: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.task, [id]) }

    /// `GET /v1/tasks/{id}/logs?after=SEQ&wait=S[&limit=N]`.
    public static func taskLogs(taskId: String, after: Int64, wait: Double, limit: Int? = nil) throws(ManagerRouteError) -> ManagerRoute {
        var query = [URLQueryItem(name: "after", value: String(after)), URLQueryItem(name: "wait", value: String(wait))]
        if let limit { query.append(URLQueryItem(name: "limit", value: String(limit))) }
        return try ManagerRoute(.taskLogs, [taskId], query: query)
    }

    /// `POST /v1/tasks/{id}/cancel`.
    public static func cancelTask(id: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.cancelTask, [id]) }

    // MARK: executions

    /// `POST /v1/executions`.
    public static func startExecution() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.startExecution) }

    /// `GET /v1/executions?limit=N`.
    public static func executions(limit: Int) throws(ManagerRouteError) -> ManagerRoute {
        try ManagerRoute(.executions, query: [URLQueryItem(name: "limit", value: String(limit))])
    }

    /// `GET /v1/executions/{id}`.
    public static func execution(id: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.execution, [id]) }

    /// `POST /v1/executions/{id}/cancel`.
    public static func cancelExecution(id: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.cancelExecution, [id]) }

    /// `POST /v1/executions/{id}/rollback`.
    public static func rollbackExecution(id: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.rollbackExecution, [id]) }

    /// `POST /v1/executions/{id}/approve`.
    public static func approveExecution(id: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.approveExecution, [id]) }

    /// `POST /v1/executions/{id}/reject`.
    public static func rejectExecution(id: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.rejectExecution, [id]) }

    // MARK: connectors, secrets, tokens, audit

    /// `GET /v1/connectors`.
    public static func connectors() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.connectors) }

    /// `GET /v1/connectors/{name}`.
    public static func connector(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.connector, [name]) }

    /// `PUT /v1/connectors/{name}`.
    public static func putConnector(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.putConnector, [name]) }

    /// `DELETE /v1/connectors/{name}`.
    public static func deleteConnector(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.deleteConnector, [name]) }

    /// `POST /v1/connectors/{name}/test`.
    public static func testConnector(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.testConnector, [name]) }

    /// `GET /v1/secrets`.
    public static func secrets() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.secrets) }

    /// `PUT /v1/secrets/{name}`.
    public static func putSecret(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.putSecret, [name]) }

    /// `DELETE /v1/secrets/{name}`.
    public static func deleteSecret(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.deleteSecret, [name]) }

    /// `GET /v1/tokens`.
    public static func tokens() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.tokens) }

    /// `POST /v1/tokens`.
    public static func createToken() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.createToken) }

    /// `POST /v1/tokens/{name}/revoke`.
    public static func revokeToken(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.revokeToken, [name]) }

    /// `GET /v1/audit?limit=N[&since=TIME]`, the time in ISO 8601 with milliseconds.
    public static func audit(since: Date? = nil, limit: Int) throws(ManagerRouteError) -> ManagerRoute {
        var query = [URLQueryItem(name: "limit", value: String(limit))]
        if let since { query.append(URLQueryItem(name: "since", value: ISO8601Millis.string(from: since))) }
        return try ManagerRoute(.audit, query: query)
    }

    // MARK: notifications

    /// `GET /v1/notifiers`.
    public static func notifiers() throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.notifiers) }

    /// `PUT /v1/notifiers/{name}`.
    public static func putNotifier(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.putNotifier, [name]) }

    /// `DELETE /v1/notifiers/{name}`.
    public static func deleteNotifier(name: String) throws(ManagerRouteError) -> ManagerRoute { try ManagerRoute(.deleteNotifier, [name]) }

    /// `GET /v1/deliveries?limit=N`: the newest notification deliveries first.
    public static func deliveries(limit: Int) throws(ManagerRouteError) -> ManagerRoute {
        try ManagerRoute(.deliveries, query: [URLQueryItem(name: "limit", value: String(limit))])
    }
}
