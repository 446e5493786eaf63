import DelegateProtocol
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ManagerAPI
import ManagerCore
import ServiceLifecycle
import UnixSignals

/// The reference manager's HTTP API (see docs/protocol.md): one controller per resource over the repositories of `ManagerStorage`.
public struct ManagerServer: Sendable {
    /// Leases: extended after a restart, expired by the sweeper.
    let repository: any DelegateRepository & TaskRepository
    let settings: ManagerSettings
    /// Serves HTTPS when set (`serve --tls-cert`).
    let tls: ManagerTLS?
    /// Wakes waiters in this replica (`Notifier`) or in every replica on the database (`PostgresWakeupBus`).
    let notifier: any WakeupBus
    let logger: Logger
    let context: ManagerContext
    /// Where executions live.
    let executions: any ExecutionRepository
    let executionGate = ExecutionGate()
    /// `/healthz` and `/readyz`.
    let health: HealthController
    /// What `/metrics` shows.
    let metrics: ManagerMetrics
    /// Notifiers and the outbox.
    let notifications: any NotificationRepository
    /// Queues execution events for the notifiers.
    let outbox: NotificationOutbox
    /// Sends the outbox's deliveries.
    let deliverer: NotificationDeliverer

    /// Creates a server over `storage`; `token` is the bootstrap admin key (it may also act as any delegate), the tokens in
    /// `storage.access` the others; `secrets` seals stored secrets (nil: secrets are disabled); `tls` serves HTTPS (nil: plain HTTP).
    /// A wake-up bus that is also a `Service` (PostgreSQL's) runs beside the server. `externalURL` is the manager's URL as people
    /// reach it, for the links and commands in notifications (nil: `http://127.0.0.1:8181`, or `https://` with `tls`).
    public init(
        storage: ManagerStorage, token: String, settings: ManagerSettings = ManagerSettings(), secrets: SecretBox? = nil,
        tls: ManagerTLS? = nil, externalURL: String? = nil, logger: Logger
    ) {
        repository = storage.repository
        notifier = storage.wakeups
        executions = storage.executions
        health = HealthController(readiness: storage.readiness, repository: storage.repository, logger: logger)
        metrics = ManagerMetrics(version: managerVersion)
        self.settings = settings
        self.tls = tls
        self.logger = logger
        let vault = secrets.map { SecretVault(repository: storage.repository, box: $0) }
        let metrics = self.metrics
        let dispatcher = TaskDispatcher(
            repository: storage.repository, inline: InlineSecrets(), vault: vault, notifier: storage.wakeups, logger: logger,
            leased: { type, waited in metrics.leased(type: type, waited: waited) })
        notifications = storage.notifications
        outbox = NotificationOutbox(
            repository: storage.notifications, wakeups: storage.wakeups, externalURL: externalURL ?? (tls == nil ? "http" : "https") + "://127.0.0.1:8181")
        deliverer = NotificationDeliverer(repository: storage.notifications, transport: CurlNotificationTransport(), vault: vault, wakeups: storage.wakeups, logger: logger)
        context = ManagerContext(
            delegates: storage.repository, tasks: storage.repository, catalog: storage.repository, access: storage.access,
            settings: settings, notifier: notifier, logger: logger, dispatcher: dispatcher, vault: vault,
            authorizer: Authorizer(bootstrapToken: token, access: storage.access, repository: storage.repository))
    }

    /// Serves on `host:port` until SIGTERM or SIGINT (when `handlesSignals`) or cancellation; `onListening` gets the bound port.
    ///
    /// On graceful shutdown the manager logs "shutting down" and ends every parked
    /// long poll and log follow at once, so in-flight requests do not hold the exit.
    /// With `metrics`, `/metrics` is also served there without a key (`serve --metrics-listen`), for a scraper.
    public func run(
        host: String, port: Int, handlesSignals: Bool = true, metrics metricsAddress: (host: String, port: Int)? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let app = try await application(host: host, port: port, onListening: onListening)
        var services: [any Service] = [app]
        if let metricsAddress { services.append(metricsApplication(host: metricsAddress.host, port: metricsAddress.port)) }
        // Services shut down in reverse order: the watcher first, so waiters end before the server drains.
        let group = ServiceGroup(configuration: .init(
            services: services + [ShutdownWatcher(notifier: notifier, logger: logger)], gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [], logger: logger))
        do {
            try await group.run()
        } catch {
            throw ListenError(host: host, port: port, error) ?? error
        }
    }

    /// Builds the Hummingbird application bound to `host:port`; `onListening` gets the bound port.
    public func application(host: String, port: Int, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> some ApplicationProtocol & Service {
        try await repository.extendLiveLeases(by: settings.leaseSeconds, now: Date())
        let router = Router(context: ManagerRequestContext.self)
        router.add(middleware: RequestMetrics(metrics: metrics))
        // Probes come before authorization: a middleware applies only to the routes added after it.
        health.addRoutes(to: router)
        router.add(middleware: Authorization(authorizer: context.authorizer))
        router.add(middleware: BodyLimit(maxBytes: settings.maxBodyBytes))
        addRoutes(router)
        return Application(
            router: router,
            server: try serverBuilder(),
            configuration: .init(address: .hostname(host, port: port), serverName: "ecs-manager"),
            services: [LeaseSweeper(repository: repository, notifier: notifier, logger: logger, dispatcher: context.dispatcher)]
                + ((notifier as? any Service).map { [$0] } ?? [])
                + [ExecutionOrchestrator(
                    tasks: context.tasks, dispatcher: context.dispatcher, notifier: notifier, logger: logger, executions: executions, gate: executionGate,
                    audit: context.access, observers: [outbox, metrics]),
                   deliverer],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// `/metrics` alone, without a key, on `host:port` (plain HTTP: bind it to loopback or a private interface).
    func metricsApplication(host: String, port: Int) -> some Service {
        let router = Router()
        let server = self
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: await server.metricsText())))
        }
        let logger = self.logger
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "ecs-manager"),
            onServerRunning: { _ in logger.info("metrics listening", metadata: ["address": "\(host):\(port)"]) }, logger: logger)
    }

    /// HTTP/1.1, over TLS when `tls` is set.
    func serverBuilder() throws -> HTTPServerBuilder {
        guard let tls else { return .http1() }
        return try .tls(.http1(), tlsConfiguration: try tls.configuration())
    }

    /// The Prometheus text of the manager's metrics, the gauges read from the storage now.
    ///
    /// A storage that does not answer (or is not migrated) still gets its counters scraped, with
    /// `ecs_manager_ready 0` and the storage's gauges as they were last read.
    public func metricsText() async -> String {
        let unready = await health.check()
        guard unready == nil,
              let counts = try? await repository.taskCounts(),
              let delegates = try? await context.delegates.delegates(now: Date(), staleAfter: settings.staleAfter).map(\.state)
        else { return metrics.render(ready: false) }
        return metrics.render(ready: true, tasks: counts, delegates: delegates)
    }

    /// Adds every controller's routes under `/v1`, and `/metrics`.
    func addRoutes(_ router: Router<ManagerRequestContext>) {
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: await metricsText())))
        }
        let v1 = router.group("v1")
        v1.get("health") { _, _ in try json(StatusAnswer(status: "ok")) }
        DelegatesController(context: context).addRoutes(to: v1)
        TasksController(context: context).addRoutes(to: v1)
        LogsController(context: context).addRoutes(to: v1)
        ConnectorsController(context: context).addRoutes(to: v1)
        SecretsController(context: context).addRoutes(to: v1)
        ExecutionsController(context: context, executions: executions, gate: executionGate, metrics: metrics, observers: [outbox, metrics]).addRoutes(to: v1)
        NotifiersController(context: context, notifications: notifications).addRoutes(to: v1)
        TokensController(context: context).addRoutes(to: v1)
        AuditController(context: context).addRoutes(to: v1)
    }
}
