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

    /// Creates a server over `storage`; `token` is the bootstrap admin key (it may also act as any delegate), the tokens in
    /// `storage.access` the others; `secrets` seals stored secrets (nil: secrets are disabled); `tls` serves HTTPS (nil: plain HTTP).
    /// A wake-up bus that is also a `Service` (PostgreSQL's) runs beside the server.
    public init(
        storage: ManagerStorage, token: String, settings: ManagerSettings = ManagerSettings(), secrets: SecretBox? = nil,
        tls: ManagerTLS? = nil, logger: Logger
    ) {
        repository = storage.repository
        notifier = storage.wakeups
        executions = storage.executions
        self.settings = settings
        self.tls = tls
        self.logger = logger
        let vault = secrets.map { SecretVault(repository: storage.repository, box: $0) }
        let dispatcher = TaskDispatcher(repository: storage.repository, inline: InlineSecrets(), vault: vault, notifier: storage.wakeups, logger: logger)
        context = ManagerContext(
            delegates: storage.repository, tasks: storage.repository, catalog: storage.repository, access: storage.access,
            settings: settings, notifier: notifier, logger: logger, dispatcher: dispatcher, vault: vault,
            authorizer: Authorizer(bootstrapToken: token, access: storage.access, repository: storage.repository))
    }

    /// Serves on `host:port` until SIGTERM or SIGINT (when `handlesSignals`) or cancellation; `onListening` gets the bound port.
    ///
    /// On graceful shutdown the manager logs "shutting down" and ends every parked
    /// long poll and log follow at once, so in-flight requests do not hold the exit.
    public func run(
        host: String, port: Int, handlesSignals: Bool = true,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let app = try await application(host: host, port: port, onListening: onListening)
        // Services shut down in reverse order: the watcher first, so waiters end before the server drains.
        let group = ServiceGroup(configuration: .init(
            services: [app, ShutdownWatcher(notifier: notifier, logger: logger)], gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [], logger: logger))
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
                    tasks: context.tasks, dispatcher: context.dispatcher, notifier: notifier, logger: logger, executions: executions, gate: executionGate, audit: context.access)],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// HTTP/1.1, over TLS when `tls` is set.
    func serverBuilder() throws -> HTTPServerBuilder {
        guard let tls else { return .http1() }
        return try .tls(.http1(), tlsConfiguration: try tls.configuration())
    }

    /// Adds every controller's routes under `/v1`.
    func addRoutes(_ router: Router<ManagerRequestContext>) {
        let v1 = router.group("v1")
        v1.get("health") { _, _ in try json(StatusAnswer(status: "ok")) }
        DelegatesController(context: context).addRoutes(to: v1)
        TasksController(context: context).addRoutes(to: v1)
        LogsController(context: context).addRoutes(to: v1)
        ConnectorsController(context: context).addRoutes(to: v1)
        SecretsController(context: context).addRoutes(to: v1)
        ExecutionsController(context: context, executions: executions, gate: executionGate).addRoutes(to: v1)
        TokensController(context: context).addRoutes(to: v1)
        AuditController(context: context).addRoutes(to: v1)
    }
}
