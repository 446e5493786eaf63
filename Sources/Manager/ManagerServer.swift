import DelegateProtocol
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// The reference manager's HTTP API (see docs/protocol.md).
public struct ManagerServer: Sendable {
    let store: ManagerStore
    let settings: ManagerSettings
    let token: String
    let notifier = Notifier()
    let logger: Logger

    /// Creates a server over `store`, accepting `token` as the only bearer token.
    public init(store: ManagerStore, token: String, settings: ManagerSettings = ManagerSettings(), logger: Logger) {
        self.store = store
        self.token = token
        self.settings = settings
        self.logger = logger
    }

    /// Serves on `host:port` until SIGTERM or SIGINT (when `handlesSignals`) or cancellation; `onListening` gets the bound port.
    ///
    /// On graceful shutdown the manager logs "shutting down" and ends every parked
    /// long poll and log follow at once, so in-flight requests do not hold the exit.
    public func run(
        host: String, port: Int, handlesSignals: Bool = true,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let app = try application(host: host, port: port, onListening: onListening)
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
    public func application(host: String, port: Int, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol & Service {
        try store.extendLiveLeases(by: settings.leaseSeconds)
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: BearerAuth(token: token))
        router.add(middleware: BodyLimit(maxBytes: settings.maxBodyBytes))
        addRoutes(router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "ecs-manager"),
            services: [LeaseSweeper(store: store, notifier: notifier, logger: logger)],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    func addRoutes(_ router: Router<BasicRequestContext>) {
        let v1 = router.group("v1")
        v1.get("health") { _, _ in try json(["status": "ok"]) }

        v1.post("delegates/register") { req, ctx in
            let r: RegisterRequest = try await decode(req, ctx, limit: settings.maxBodyBytes)
            try RequestRules.check(r)
            let registration = try store.register(r)
            let id = registration.delegateId
            // Polls parked by an earlier process of this instance see the new generation and end.
            notifier.notify(key: "delegate:\(id)")
            if !registration.requeued.isEmpty {
                logger.info("tasks requeued: their delegate restarted before starting them", metadata: ["delegate": "\(id)", "tasks": "\(registration.requeued)"])
                notifier.notify { $0.hasPrefix("delegate:") }
            }
            logger.info("delegate registered", metadata: ["delegate": "\(id)", "name": "\(r.name)", "tags": "\(r.tags)"])
            return try json(RegisterResponse(
                delegateId: id, heartbeatSeconds: settings.heartbeatSeconds, pollWaitSeconds: settings.pollWaitSeconds,
                logFlushMillis: settings.logFlushMillis, logBatchMaxLines: settings.logBatchMaxLines, logBatchMaxBytes: settings.logBatchMaxBytes))
        }

        v1.post("delegates/:id/heartbeat") { req, ctx in
            let id = try ctx.parameters.require("id")
            let hb: HeartbeatRequest = try await decode(req, ctx, limit: settings.maxBodyBytes)
            try RequestRules.check(hb)
            _ = try knownDelegate(id)
            try store.touch(delegateId: id, heartbeat: hb)
            let (renewed, cancel) = try store.renew(delegateId: id, running: hb.running, leaseSeconds: settings.leaseSeconds)
            return try json(HeartbeatResponse(renewed: renewed, cancel: cancel, drain: false))
        }

        v1.get("delegates/:id/tasks/next") { req, ctx in
            let id = try ctx.parameters.require("id")
            let wait = Duration.seconds(clamping: try req.queryNumber("wait", in: 0...120, fallback: settings.pollWaitSeconds), to: 0...120)
            let deadline = ContinuousClock.now + wait
            var generation: Int64?
            while true {
                let ticket = notifier.arm(key: "delegate:\(id)")
                let delegate = try knownDelegate(id)
                // A newer registration of the same instance, or shutdown: this poll's process is gone or going.
                if notifier.isShutDown || (generation.map { $0 != delegate.generation } ?? false) {
                    ticket.cancel()
                    return Response(status: .noContent)
                }
                generation = delegate.generation
                try store.touch(delegateId: id, heartbeat: nil)
                if delegate.state != "draining", let envelope = try store.lease(for: delegate, leaseSeconds: settings.leaseSeconds) {
                    ticket.cancel()
                    logger.debug("task leased", metadata: ["task": "\(envelope.taskId)", "delegate": "\(id)"])
                    return try json(envelope)
                }
                let now = ContinuousClock.now
                if now >= deadline || Task.isCancelled {
                    ticket.cancel()
                    return Response(status: .noContent)
                }
                _ = await ticket.wait(timeout: deadline - now)
            }
        }

        v1.post("delegates/:id/unregister") { req, ctx in
            let id = try ctx.parameters.require("id")
            let body: UnregisterRequest = try await decode(req, ctx, limit: settings.maxBodyBytes)
            try RequestRules.check(body)
            _ = try knownDelegate(id)
            try store.unregister(delegateId: id)
            logger.info("delegate unregistered", metadata: ["delegate": "\(id)", "reason": "\(body.reason)"])
            return try json(["status": "unregistered"])
        }

        v1.post("tasks/:id/logs") { req, ctx in
            let id = try ctx.parameters.require("id")
            let batch: LogBatch = try await decode(req, ctx, limit: settings.maxBodyBytes)
            let ack = try leaseChecked { try store.appendLogs(taskId: id, batch: batch) }
            notifier.notify(key: "task:\(id)")
            return try json(ack)
        }

        v1.post("tasks/:id/result") { req, ctx in
            let id = try ctx.parameters.require("id")
            let result: TaskResult = try await decode(req, ctx, limit: settings.maxBodyBytes)
            let changed = try leaseChecked { try store.finish(taskId: id, leaseId: result.leaseId, result: result) }
            if changed {
                logger.info("task finished", metadata: ["task": "\(id)", "status": "\(result.status.rawValue)"])
            }
            notifier.notify(key: "task:\(id)")
            return try json(["status": "recorded"])
        }

        // Administration: what `ecs-manager submit`, `tasks`, `logs` and `delegates` use.
        v1.post("tasks") { req, ctx in
            let s: SubmitTaskRequest = try await decode(req, ctx, limit: settings.maxBodyBytes)
            try RequestRules.check(s, knownTypes: try store.knownTaskTypes())
            let id = try store.submit(s)
            notifier.notify { $0.hasPrefix("delegate:") }
            logger.info("task queued", metadata: ["task": "\(id)", "type": "\(s.type)", "selectors": "\(s.selectors)"])
            guard let info = try store.task(id) else { throw APIError(.internalServerError, "internal", "task vanished") }
            return try json(info, status: .created)
        }

        v1.get("tasks") { req, _ in
            let limit = try req.queryNumber("limit", in: 1...1000, fallback: 100)
            let delegates = try store.delegates(staleAfter: settings.staleAfter)
            return try json(try store.tasks(limit: limit).map { withReason($0, delegates: delegates) })
        }

        v1.get("tasks/:id") { _, ctx in
            let id = try ctx.parameters.require("id")
            guard let info = try store.task(id) else { throw APIError(.notFound, "not_found", "no task \(id)") }
            return try json(withReason(info, delegates: try store.delegates(staleAfter: settings.staleAfter)))
        }

        v1.post("tasks/:id/cancel") { _, ctx in
            let id = try ctx.parameters.require("id")
            switch try store.requestCancel(taskId: id) {
            case .notFound:
                throw APIError(.notFound, "not_found", "no task \(id)")
            case .alreadyFinished(let state):
                throw APIError(.conflict, "already_finished", "task \(id) already finished: \(state)")
            case .cancelled:
                notifier.notify(key: "task:\(id)")
                return try json(["status": "cancelled"])
            case .requested:
                notifier.notify(key: "task:\(id)")
                return try json(["status": "cancel requested"])
            }
        }

        v1.get("tasks/:id/logs") { req, ctx in
            let id = try ctx.parameters.require("id")
            let after = try req.queryNumber("after", in: 0...Int64.max, fallback: 0)
            let wait = Duration.seconds(clamping: try req.queryNumber("wait", in: 0...60, fallback: 0), to: 0...60)
            let limit = try req.queryNumber("limit", in: 1...20000, fallback: 5000)
            let deadline = ContinuousClock.now + wait
            while true {
                let ticket = notifier.arm(key: "task:\(id)")
                guard let info = try store.task(id) else {
                    ticket.cancel()
                    throw APIError(.notFound, "not_found", "no task \(id)")
                }
                let lines = try store.logs(taskId: id, after: after, limit: limit)
                let now = ContinuousClock.now
                if !lines.isEmpty || info.isFinished || now >= deadline || notifier.isShutDown {
                    ticket.cancel()
                    return try json(LogPage(lines: lines, state: info.state))
                }
                _ = await ticket.wait(timeout: deadline - now)
            }
        }

        v1.get("delegates") { _, _ in
            try json(try store.delegates(staleAfter: settings.staleAfter))
        }
    }

    private func knownDelegate(_ id: String) throws -> DelegateRow {
        guard let d = try store.delegate(id) else {
            throw APIError(.notFound, "unknown_delegate", "no delegate \(id); register again")
        }
        return d
    }

    private func leaseChecked<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch ManagerStore.LeaseError.unknownTask {
            throw APIError(.notFound, "not_found", "no such task")
        } catch ManagerStore.LeaseError.wrongLease {
            throw APIError(.conflict, "lease_mismatch", "the lease is not the task's current lease (it expired or the task was given to another delegate)")
        }
    }

    /// Adds, for a queued task, why no delegate has taken it.
    func withReason(_ info: TaskInfo, delegates: [DelegateInfo]) -> TaskInfo {
        guard info.state == "queued" else { return info }
        var info = info
        let connected = delegates.filter { $0.state == "connected" }
        if connected.isEmpty {
            info.waitingReason = "no delegate is connected"
        } else {
            let matching = connected.filter { Selectors.satisfied(info.selectors, by: $0.tags) }
            if matching.isEmpty {
                let closest = connected.map { Selectors.missing(info.selectors, from: $0.tags) }.min { $0.count < $1.count } ?? info.selectors
                info.waitingReason = "no connected delegate has all selectors \(info.selectors) (closest lacks \(closest))"
            } else {
                info.waitingReason = "waiting for free capacity on \(matching.map(\.name).joined(separator: ", ")) or a delegate that supports \(info.type)"
            }
        }
        return info
    }
}

/// Refuses every request without the right bearer token (401), before any handler runs.
struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), token) else {
            return try errorResponse(.unauthorized, "unauthorized", "missing or wrong bearer token")
        }
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return try errorResponse(e.status, e.code, e.message)
        }
    }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}

/// An error answer with a status, a stable code and a message.
struct APIError: Error {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }
}

func errorResponse(_ status: HTTPResponse.Status, _ code: String, _ message: String) throws -> Response {
    try json(ErrorBody(code: code, message: message), status: status)
}

func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try ProtocolV1.encoder().encode(value)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Decodes a request body of at most `limit` bytes, nested at most `JSONNesting.defaultLimit` deep; a 400 or 413 names what is wrong.
func decode<T: Decodable>(_ req: Request, _ ctx: BasicRequestContext, limit: Int = 8 << 20) async throws -> T {
    if let declared = declaredContentLength(req), declared > limit { throw APIError.tooLarge(limit) }
    let buffer: ByteBuffer
    do {
        buffer = try await req.body.collect(upTo: limit)
    } catch {
        throw APIError.tooLarge(limit)
    }
    do {
        try JSONNesting.check(buffer.readableBytesView)
    } catch let e as JSONNestingError {
        throw APIError(.badRequest, "invalid_body", "\(T.self): \(e)")
    }
    let data = Data(buffer.readableBytesView)
    let decoder = ProtocolV1.decoder()
    do {
        return try decoder.decode(T.self, from: data)
    } catch let e as DecodingError {
        throw APIError(.badRequest, "invalid_body", "\(T.self): \(describe(e, decoding: T.self, from: data, with: decoder))")
    }
}

/// Expires leases every second and wakes pollers when tasks return to the queue.
struct LeaseSweeper: Service {
    let store: ManagerStore
    let notifier: Notifier
    let logger: Logger

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let changed = try store.expireLeases()
                if !changed.isEmpty {
                    logger.warning("leases expired", metadata: ["tasks": "\(changed)"])
                    notifier.notify { $0.hasPrefix("delegate:") || changed.contains(String($0.dropFirst("task:".count))) }
                }
            } catch {
                logger.error("lease sweep failed: \(error)")
            }
            // Graceful shutdown ends the pause at once, so the sweeper does not hold the exit.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
