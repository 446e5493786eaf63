import DelegateProtocol
import Foundation
import GRDB
import ManagerAPI
import ManagerCore

/// Stored connectors and sealed secrets in the manager's SQLite file.
extension ManagerStore: CatalogRepository {
    // MARK: connectors

    /// Creates or replaces the connector with `connector.name`; true when it was created.
    public func putConnector(_ connector: Connector, now: Date) async throws -> Bool {
        try await db.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM connectors WHERE name=?", arguments: [connector.name]) ?? false
            try db.execute(
                sql: """
                    INSERT INTO connectors (name, spec, createdAt, updatedAt) VALUES (?,?,?,?)
                    ON CONFLICT(name) DO UPDATE SET spec=excluded.spec, updatedAt=excluded.updatedAt
                    """,
                arguments: [connector.name, try jsonString(connector), now.timeIntervalSince1970, now.timeIntervalSince1970])
            return !existed
        }
    }

    /// The stored connector named `name`, or nil.
    public func connector(_ name: String) async throws -> ConnectorRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM connectors WHERE name=?", arguments: [name]).map(Self.connectorRecord)
        }
    }

    /// Every stored connector, by name.
    public func connectors() async throws -> [ConnectorRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM connectors ORDER BY name").map(Self.connectorRecord)
        }
    }

    /// Deletes a connector; false when there was none. Queued tasks keep the copy they were submitted with.
    public func deleteConnector(_ name: String) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM connectors WHERE name=?", arguments: [name])
            return db.changesCount > 0
        }
    }

    /// A connector row as a record.
    private static func connectorRecord(_ row: Row) throws -> ConnectorRecord {
        ConnectorRecord(
            connector: try jsonValue(row["spec"]),
            createdAt: Date(timeIntervalSince1970: row["createdAt"]), updatedAt: Date(timeIntervalSince1970: row["updatedAt"]))
    }

    // MARK: secrets

    /// Creates or replaces a secret's sealed value; true when it was created.
    public func putSecret(_ name: String, sealed: Data, now: Date) async throws -> Bool {
        try await db.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM secrets WHERE name=?", arguments: [name]) ?? false
            try db.execute(
                sql: """
                    INSERT INTO secrets (name, sealed, createdAt, updatedAt) VALUES (?,?,?,?)
                    ON CONFLICT(name) DO UPDATE SET sealed=excluded.sealed, updatedAt=excluded.updatedAt
                    """,
                arguments: [name, sealed, now.timeIntervalSince1970, now.timeIntervalSince1970])
            return !existed
        }
    }

    /// A secret's sealed value, or nil.
    public func sealedSecret(_ name: String) async throws -> Data? {
        try await db.read { db in try Data.fetchOne(db, sql: "SELECT sealed FROM secrets WHERE name=?", arguments: [name]) }
    }

    /// Every secret's name and times, by name.
    public func secrets() async throws -> [SecretInfo] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT name, createdAt, updatedAt FROM secrets ORDER BY name").map {
                SecretInfo(name: $0["name"], createdAt: Date(timeIntervalSince1970: $0["createdAt"]), updatedAt: Date(timeIntervalSince1970: $0["updatedAt"]))
            }
        }
    }

    /// Deletes a secret; false when there was none.
    public func deleteSecret(_ name: String) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM secrets WHERE name=?", arguments: [name])
            return db.changesCount > 0
        }
    }
}
