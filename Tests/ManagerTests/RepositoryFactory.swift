import DelegateProtocol
import Foundation
import ManagerCore
import ManagerPostgres
import ManagerSQLite
import TestSupport
import Testing

/// Makes a fresh, empty repository for one contract test (the aggregates' contract suites and `AccessRepositoryContractTests`).
struct RepositoryFactory: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () async throws -> any ManagerRepository
    var testDescription: String { name }

    /// The SQLite `ManagerStore` on a scratch file.
    static let sqlite = RepositoryFactory(name: "SQLite") {
        let dir = NSTemporaryDirectory() + "mstore-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try ManagerStore(path: dir + "/m.sqlite")
    }

    /// The PostgreSQL `PostgresStore` on a fresh database of the test process's PostgreSQL server (`PostgresServer.shared`).
    static let postgres = RepositoryFactory(name: "PostgreSQL") {
        let server = try PostgresServer.shared()
        return try await PostgresStore(url: try DatabaseURL(server.url(try server.createDatabase())), password: server.password, connections: 2)
    }
}

/// Every implementation the contract runs against: SQLite and PostgreSQL pass the same tests.
let repositoryFactories: [RepositoryFactory] = [.sqlite, .postgres]

/// Registers a delegate running `delegate.echo` with `tags`; returns its routing facts.
func delegate(_ store: any DelegateRepository, _ tags: [String], instance: String = UUID().uuidString) async throws -> DelegateRow {
    let id = try await store.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: tags, capacity: 2, taskTypes: ["delegate.echo"], instanceId: instance)).delegateId
    return try await #require(try store.delegate(id))
}
