import DelegateProtocol
import DelegateRuntime
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Who may talk to the status socket: root, and the uid the delegate runs as.
public struct PeerPolicy: Sendable, Equatable {
    /// The uids allowed besides root.
    public var allowedUIDs: Set<UInt32>

    /// Allows root and the current process's uid.
    public init(allowedUIDs: Set<UInt32> = [getuid()]) {
        self.allowedUIDs = allowedUIDs
    }

    /// Whether a peer with `uid` may connect.
    public func allows(uid: UInt32) -> Bool { uid == 0 || allowedUIDs.contains(uid) }
}

/// The request context of the status server: it keeps the channel so the peer's credentials can be read.
public struct StatusContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Linux's `struct ucred` (pid, uid, gid), which Glibc's module does not export without _GNU_SOURCE.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Refuses (403) any peer whose uid the policy does not allow, read with SO_PEERCRED.
struct PeerCredentialsMiddleware: RouterMiddleware {
    let policy: PeerPolicy

    func handle(_ request: Request, context: StatusContext, next: (Request, StatusContext) async throws -> Response) async throws -> Response {
        guard let provider = context.channel as? SocketOptionProvider else {
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "cannot read peer credentials\n")))
        }
        let cred: PeerCredentials
        do {
            cred = try await provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)).get()
        } catch {
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "cannot read peer credentials\n")))
        }
        guard policy.allows(uid: cred.uid) else {
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "uid \(cred.uid) may not use this socket\n")))
        }
        return try await next(request, context)
    }
}

/// The local status API over a Unix socket: `/v1/status`, `/v1/tasks`, `/v1/tasks/{id}/logs`, `/v1/snapshots`, `/metrics`.
public struct StatusServer: Sendable {
    let agent: DelegateAgent
    let store: DelegateStore
    let path: String
    let policy: PeerPolicy
    let logger: Logger

    /// Creates a server for `agent` on the socket at `path`.
    public init(agent: DelegateAgent, store: DelegateStore, path: String, policy: PeerPolicy = PeerPolicy(), logger: Logger) {
        self.agent = agent
        self.store = store
        self.path = path
        self.policy = policy
        self.logger = logger
    }

    /// Builds the server as a service; it creates the socket's directory, replaces a stale socket and sets mode 0660.
    public func service() throws -> some Service {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        if FileManager.default.fileExists(atPath: path) {
            try FileManager.default.removeItem(atPath: path)  // a stale socket from a previous run
        }
        let router = Router(context: StatusContext.self)
        router.add(middleware: PeerCredentialsMiddleware(policy: policy))
        addRoutes(router)
        let path = self.path
        let logger = self.logger
        return StatusHTTPService(
            responder: router.buildResponder(), path: path, serverName: "ecs-delegate",
            eventLoopGroup: MultiThreadedEventLoopGroup.singletonOne, logger: logger,
            onServerRunning: { _ in
                if chmod(path, 0o660) != 0 { logger.error("cannot set mode 0660 on \(path)") }
                logger.info("status socket listening", metadata: ["path": "\(path)"])
            })
    }

    func addRoutes(_ router: Router<StatusContext>) {
        router.get("v1/status") { _, _ in try json(agent.status()) }
        router.get("v1/tasks") { req, _ in
            let limit = req.uri.queryParameters.get("limit", as: Int.self) ?? 50
            return try json(try store.journal(limit: limit))
        }
        router.get("v1/tasks/:id/logs") { req, ctx in
            let id = try ctx.parameters.require("id")
            guard try store.journalEntry(taskId: id) != nil else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no task \(id) in the local journal\n")))
            }
            let follow = ["1", "true", "yes"].contains(req.uri.queryParameters.get("follow") ?? "")
            let asJSON = req.uri.queryParameters.get("format") == "json"
            let after = req.uri.queryParameters.get("after", as: Int64.self) ?? 0
            if asJSON {
                return try json(try store.lines(taskId: id, after: after, limit: 100_000))
            }
            let store = self.store
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody { writer in
                var last = after
                while true {
                    let lines = try store.lines(taskId: id, after: last, limit: 5000)
                    if !lines.isEmpty {
                        try await writer.write(ByteBuffer(string: lines.map(formatLine).joined()))
                        last = lines.last?.seq ?? last
                        continue
                    }
                    let finished = try store.journalEntry(taskId: id)?.state != "running"
                    if !follow || finished { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await writer.finish(nil)
            })
        }
        router.get("v1/snapshots") { req, _ in
            let limit = req.uri.queryParameters.get("limit", as: Int.self) ?? 100
            return try json(try store.snapshots(limit: limit))
        }
        router.get("metrics") { _, _ in metricsResponse(agent) }
    }
}

/// One log line as `ecs-delegate logs` and the socket print it.
public func formatLine(_ l: LogLine) -> String {
    "\(ISO8601Millis.string(from: l.time)) \(l.level.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)) [\(l.unit)] \(l.text)\n"
}

func json<T: Encodable>(_ value: T) throws -> Response {
    let e = ProtocolV1.encoder()
    e.outputFormatting.insert(.prettyPrinted)
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try e.encode(value))))
}

extension MultiThreadedEventLoopGroup {
    /// One event-loop thread for the status socket: it serves a handful of local requests.
    static let singletonOne = MultiThreadedEventLoopGroup(numberOfThreads: 1)
}
