import Foundation
import Logging
import ManagerCore
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A few PostgreSQL connections, each used by one caller at a time, that never block a thread.
///
/// A call waits asynchronously for one of `size` slots (callers beyond that
/// queue in order), checks out an idle connection or opens one, runs its
/// statements with `await`, and gives the connection back. The connections'
/// I/O runs on NIO's shared event loops (never shut down, so a connection still
/// closing when the pool goes can always finish). A connection the server
/// closed (a restart, a failover) is dropped and a new one opened on the next
/// call; once the pool is closed, calls fail at once.
final class PostgresConnectionPool: Sendable {
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    /// Where the connections' I/O runs: NIO's shared event loops.
    let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private let state: Mutex<State>
    private struct State {
        var idle: [PostgresConnection] = []
        var nextId = 1
        var closed = false
        /// Slots free now.
        var available: Int
        /// Callers waiting for a slot, first come first served.
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// A pool of at most `size` connections made with `configuration`.
    init(configuration: PostgresConnection.Configuration, size: Int, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State(available: max(1, size)))
    }

    /// Opens a new connection.
    func connect() async throws -> PostgresConnection {
        let id = state.withLock { s in
            defer { s.nextId += 1 }
            return s.nextId
        }
        do {
            return try await PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger)
        } catch {
            throw PostgresStoreError(error, doing: "connecting to \(configuration.host ?? "?"):\(configuration.port ?? 0)")
        }
    }

    /// Waits, without blocking a thread, until a slot is free and takes it.
    private func takeSlot() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { s in
                if s.available > 0 {
                    s.available -= 1
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Hands the slot to the first waiter, or frees it.
    private func giveSlot() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { s in
            if s.waiters.isEmpty {
                s.available += 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Runs `body` with a connection of its own; the connection goes back to the pool unless it broke.
    @discardableResult
    func withConnection<T>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        await takeSlot()
        defer { giveSlot() }
        if state.withLock({ $0.closed }) { throw PostgresStoreError(description: "PostgreSQL: the store was closed") }
        let reused = state.withLock { s -> PostgresConnection? in
            while let c = s.idle.popLast() {
                if !c.isClosed { return c }
            }
            return nil
        }
        let connection: PostgresConnection
        if let reused { connection = reused } else { connection = try await connect() }
        let session = PostgresSession(connection: connection, logger: logger)
        do {
            let result = try await body(session)
            if session.broken { Self.discard(connection) } else { giveBack(connection) }
            return result
        } catch {
            if session.inTransaction, (try? await session.run("ROLLBACK")) != nil { session.inTransaction = false }
            if !session.inTransaction && !session.broken && !connection.isClosed { giveBack(connection) } else { Self.discard(connection) }
            throw error
        }
    }

    /// Runs `body` in one transaction (READ COMMITTED): committed when it returns, rolled back when it throws.
    @discardableResult
    func transaction<T>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        try await withConnection { session in
            try await session.run("BEGIN")
            session.inTransaction = true
            let result = try await body(session)
            try await session.run("COMMIT")
            session.inTransaction = false
            return result
        }
    }

    /// Puts a healthy connection back among the idle ones (or closes it once the pool is closed).
    private func giveBack(_ connection: PostgresConnection) {
        let keep = state.withLock { s in
            if s.closed { return false }
            s.idle.append(connection)
            return true
        }
        if !keep { Self.discard(connection) }
    }

    /// Closes a connection without waiting.
    static func discard(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }  // postgres-nio asserts a connection is closed before it goes
    }

    /// Closes every idle connection without waiting; connections in use are closed when they come back.
    func close() {
        let idle = state.withLock { s in
            s.closed = true
            defer { s.idle = [] }
            return s.idle
        }
        for c in idle { Self.discard(c) }
    }

    /// The connection settings for `url` with `password`: TLS as `sslmode` asks.
    static func configuration(_ url: DatabaseURL, password: String?) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch url.sslMode {
        case .disable:
            tls = .disable
        case .prefer, .require:
            var c = TLSConfiguration.makeClientConfiguration()
            c.certificateVerification = .none
            let context = try NIOSSLContext(configuration: c)
            tls = url.sslMode == .prefer ? .prefer(context) : .require(context)
        case .verifyCA, .verifyFull:
            var c = TLSConfiguration.makeClientConfiguration()
            c.certificateVerification = url.sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
            if let root = url.sslRootCert {
                do {
                    c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(root))
                } catch {
                    throw DatabaseURLError("cannot read sslrootcert \(root): \(error)")
                }
            }
            tls = .require(try NIOSSLContext(configuration: c))
        }
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}

/// One checked-out connection: runs statements and awaits their rows.
final class PostgresSession: @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// A `BEGIN` is open on this connection.
    var inTransaction = false
    /// The connection holds state it could not undo (a session lock it failed to release): closed, not reused.
    var broken = false

    /// A session on `connection`.
    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Runs `query` and returns its rows, random-access by column name.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await result(query).rows.map { $0.makeRandomAccess() }
    }

    /// Runs `query`; returns how many rows it changed.
    @discardableResult
    func run(_ query: PostgresQuery) async throws -> Int {
        try await result(query).metadata.rows ?? 0
    }

    /// The first row of `query`, or nil.
    func row(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    /// Runs `query` and awaits all of its rows; errors name the statement's start, never its bound values.
    private func result(_ query: PostgresQuery) async throws -> PostgresQueryResult {
        do {
            return try await connection.query(query, logger: logger).get()
        } catch {
            throw PostgresStoreError(error, doing: String(query.sql.prefix(80)))
        }
    }
}

extension PostgresRandomAccessRow {
    /// The value of column `name`, decoded; a clear error when it is missing or of another type.
    func get<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        do {
            return try self[name].decode(T.self)
        } catch {
            throw PostgresStoreError(description: "PostgreSQL column '\(name)' does not hold a \(T.self): \(error)")
        }
    }

    /// A time column (seconds since 1970, `double precision`).
    func date(_ name: String) throws -> Date { Date(timeIntervalSince1970: try get(name, as: Double.self)) }

    /// A nullable time column.
    func optionalDate(_ name: String) throws -> Date? { try get(name, as: Double?.self).map(Date.init(timeIntervalSince1970:)) }
}

/// A PostgreSQL call that failed: what was being done and the server's message (never bound values).
public struct PostgresStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The SQLSTATE code the server sent, if any (e.g. 23505 for a unique violation).
    public let sqlState: String?

    /// An error saying `description`.
    init(description: String, sqlState: String? = nil) {
        self.description = description
        self.sqlState = sqlState
    }

    /// `error` from postgres-nio, described without the query's bound values.
    init(_ error: any Error, doing what: String) {
        if let e = error as? PostgresStoreError {
            self = e
            return
        }
        guard let p = error as? PSQLError else {
            self.init(description: "PostgreSQL: \(what): \(error)")
            return
        }
        let server = p.serverInfo.flatMap { info in info[.message].map { m in "\(info[.sqlState].map { "[\($0)] " } ?? "")\(m)" } }
        let underlying = p.underlying.map { "\($0)" }
        self.init(description: "PostgreSQL: \(what): \(server ?? underlying ?? p.code.description)", sqlState: p.serverInfo?[.sqlState])
    }
}
