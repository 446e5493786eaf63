/// Every route the manager serves, by name, with its method and path template.
///
/// The template is written as the manager's route table (`RoutePermissions`) writes it,
/// `/v1/tasks/{id}`; `ManagerRoutes` fills it in.
public enum ManagerEndpoint: String, CaseIterable, Sendable {
    case health, metrics
    // Delegates.
    case register, heartbeat, nextTask, unregister, sendLogs, sendResult, delegates
    // Tasks.
    case submitTask, tasks, task, taskLogs, cancelTask
    // Executions.
    case startExecution, executions, execution, cancelExecution, rollbackExecution, approveExecution, rejectExecution
    // Connectors, secrets, tokens, audit.
    case connectors, connector, putConnector, deleteConnector, testConnector
    case secrets, putSecret, deleteSecret
    case tokens, createToken, revokeToken
    case audit
    // Notifications.
    case notifiers, putNotifier, deleteNotifier, deliveries

    /// The HTTP method: `GET`, `POST`, `PUT` or `DELETE`.
    public var method: String {
        switch self {
        case .health, .metrics, .nextTask, .delegates, .tasks, .task, .taskLogs, .executions, .execution, .connectors, .connector, .secrets, .tokens, .audit,
             .notifiers, .deliveries:
            return "GET"
        case .register, .heartbeat, .unregister, .sendLogs, .sendResult, .submitTask, .cancelTask, .startExecution, .cancelExecution,
             .rollbackExecution, .approveExecution, .rejectExecution, .testConnector, .createToken, .revokeToken:
            return "POST"
        case .putConnector, .putSecret, .putNotifier: return "PUT"
        case .deleteConnector, .deleteSecret, .deleteNotifier: return "DELETE"
        }
    }

    /// The path template, its parameters in braces: `/v1/delegates/{id}/heartbeat`.
    public var template: String {
        switch self {
        case .health: return "/v1/health"
        case .metrics: return "/metrics"
        case .register: return "/v1/delegates/register"
        case .heartbeat: return "/v1/delegates/{id}/heartbeat"
        case .nextTask: return "/v1/delegates/{id}/tasks/next"
        case .unregister: return "/v1/delegates/{id}/unregister"
        case .sendLogs, .taskLogs: return "/v1/tasks/{id}/logs"
        case .sendResult: return "/v1/tasks/{id}/result"
        case .delegates: return "/v1/delegates"
        case .submitTask, .tasks: return "/v1/tasks"
        case .task: return "/v1/tasks/{id}"
        case .cancelTask: return "/v1/tasks/{id}/cancel"
        case .startExecution, .executions: return "/v1/executions"
        case .execution: return "/v1/executions/{id}"
        case .cancelExecution: return "/v1/executions/{id}/cancel"
        case .rollbackExecution: return "/v1/executions/{id}/rollback"
        case .approveExecution: return "/v1/executions/{id}/approve"
        case .rejectExecution: return "/v1/executions/{id}/reject"
        case .connectors: return "/v1/connectors"
        case .connector, .putConnector, .deleteConnector: return "/v1/connectors/{name}"
        case .testConnector: return "/v1/connectors/{name}/test"
        case .secrets: return "/v1/secrets"
        case .putSecret, .deleteSecret: return "/v1/secrets/{name}"
        case .tokens, .createToken: return "/v1/tokens"
        case .revokeToken: return "/v1/tokens/{name}/revoke"
        case .audit: return "/v1/audit"
        case .notifiers: return "/v1/notifiers"
        case .putNotifier, .deleteNotifier: return "/v1/notifiers/{name}"
        case .deliveries: return "/v1/deliveries"
        }
    }

    /// `METHOD /template`, as the manager's route table keys its rules.
    public var route: String { "\(method) \(template)" }
}
