import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import HTTPClient
import Logging
import StepContracts
import Synchronization

/// What every ECS step shares: the HTTP client, the state database, the process environment, poll settings.
public final class StepEnvironment: Sendable {
    let http: HTTPClient
    let store: DelegateStore
    let environment: [String: String]
    /// What tasks may make this delegate reach: Git transports, token files.
    let policy: StepPolicy
    /// AWS attempts and retries across all tasks (exported as metrics).
    public let retryStats = RetryStats()
    private let pollers = Mutex<[String: (poller: ServicePoller, lastUsed: ContinuousClock.Instant)]>([:])
    /// A poller unused for this long is dropped (the next task makes a new one).
    let pollerIdleLimit: Duration
    /// The most pollers held: past it, the least recently used is dropped.
    let maxPollers: Int

    /// Creates the environment.
    public init(
        http: HTTPClient, store: DelegateStore, environment: [String: String] = ProcessInfo.processInfo.environment,
        pollerIdleLimit: Duration = .seconds(600), maxPollers: Int = 256, policy: StepPolicy = StepPolicy()
    ) {
        self.pollerIdleLimit = pollerIdleLimit
        self.maxPollers = max(1, maxPollers)
        self.policy = policy
        self.http = http
        self.store = store
        self.environment = environment
    }

    /// AWS clients for a task's connector.
    func clients(for connector: TaskConnector, logger: Logger) throws -> AWSClients {
        try AWSClients(connector: try AWSConnector(connector.aws), http: http, logger: logger, environment: environment, retryStats: retryStats, policy: policy.connectors)
    }

    /// The shared DescribeServices poller for a connector, keyed by an identity that holds no secret value.
    ///
    /// Bounded by design: pollers idle for `pollerIdleLimit` are dropped on the
    /// way, and at most `maxPollers` are held (the least recently used goes), so a
    /// long-running daemon keeps neither one per connector it ever saw nor one per
    /// connector of a burst. A dropped poller still answers the waiters it has.
    package func poller(for clients: AWSClients, connector: TaskConnector) -> ServicePoller {
        let key = ConnectorIdentity.key(connector.aws)
        let now = ContinuousClock.now
        return pollers.withLock { p in
            p = p.filter { now - $0.value.lastUsed < pollerIdleLimit }
            let poller = p[key]?.poller ?? ServicePoller(ecs: clients.ecs)
            if p[key] == nil, p.count >= maxPollers, let oldest = p.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
                p.removeValue(forKey: oldest)
            }
            p[key] = (poller, now)
            return poller
        }
    }

    /// How many pollers are held (for tests).
    package var pollerCount: Int { pollers.withLock { $0.count } }
}

/// Every ECS and look-up task type, ready for the delegate.
public func ecsHandlers(_ env: StepEnvironment) -> [any TaskHandler] {
    [
        StepHandler(step: RollingDeployStep(), env: env), StepHandler(step: RollingRollbackStep(), env: env),
        StepHandler(step: CanaryDeployStep(), env: env), StepHandler(step: CanaryDeleteStep(), env: env),
        StepHandler(step: ServiceScaleStep(), env: env), StepHandler(step: ServiceScaleRollbackStep(), env: env),
        StepHandler(step: RunTaskStep(), env: env),
        StepHandler(step: BlueGreenCreateStep(), env: env), StepHandler(step: BlueGreenSwapStep(), env: env),
        StepHandler(step: BlueGreenShiftTrafficStep(), env: env), StepHandler(step: BlueGreenRollbackStep(), env: env),
        StepHandler(step: ValidateConnectorStep(), env: env), StepHandler(step: ListClustersStep(), env: env),
        StepHandler(step: ListLoadBalancersStep(), env: env), StepHandler(step: ListListenersStep(), env: env),
        StepHandler(step: ListListenerRulesStep(), env: env),
        StepHandler(step: RegistryValidateStep(), env: env), StepHandler(step: RegistryListTagsStep(), env: env),
        StepHandler(step: RegistryResolveDigestStep(), env: env),
        StepHandler(step: VerifyHTTPStep(), env: env), StepHandler(step: VerifyTargetHealthStep(), env: env),
        StepHandler(step: VerifyAlarmsStep(), env: env),
    ]
}
