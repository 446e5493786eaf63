import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import HTTPClient
import Logging
import Synchronization

/// What every ECS step shares: the HTTP client, the state database, the process environment, poll settings.
public final class StepEnvironment: Sendable {
    let http: HTTPClient
    let store: DelegateStore
    let environment: [String: String]
    /// AWS attempts and retries across all tasks (exported as metrics).
    public let retryStats = RetryStats()
    private let pollers = Mutex<[String: ServicePoller]>([:])

    /// Creates the environment.
    public init(http: HTTPClient, store: DelegateStore, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.http = http
        self.store = store
        self.environment = environment
    }

    /// AWS clients for a task's connector.
    func clients(for envelope: TaskEnvelope, logger: Logger) throws -> AWSClients {
        try AWSClients(connector: try AWSConnector(envelope.connector), http: http, logger: logger, environment: environment, retryStats: retryStats)
    }

    /// The shared DescribeServices poller for a connector's endpoint, region and credentials.
    func poller(for clients: AWSClients, key: String) -> ServicePoller {
        pollers.withLock { p in
            if let existing = p[key] { return existing }
            let new = ServicePoller(ecs: clients.ecs)
            p[key] = new
            return new
        }
    }
}

/// Every ECS and look-up task type, ready for the delegate.
public func ecsHandlers(_ env: StepEnvironment) -> [any TaskHandler] {
    [
        RollingDeployHandler(env: env), RollingRollbackHandler(env: env),
        ValidateConnectorHandler(env: env), ListClustersHandler(env: env),
        ListLoadBalancersHandler(env: env), ListListenersHandler(env: env), ListListenerRulesHandler(env: env),
    ]
}

/// Reads a required string member of a payload, with a clear error.
func requiredString(_ p: JSONValue, _ name: String, task: String) throws -> String {
    guard let s = p[name]?.stringValue, !s.isEmpty else {
        throw TaskError(code: "invalid_payload", message: "\(task): payload member '\(name)' is required (a non-empty string)")
    }
    return s
}

/// Describes an AWS failure for a log line and a result (secrets are masked by the log).
func describeAWS(_ error: Error) -> String {
    if let e = error as? AWSError { return "\(e.code): \(e.message)" }
    return "\(error)"
}
