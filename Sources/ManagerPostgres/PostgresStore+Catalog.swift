import Foundation
import ManagerAPI
import ManagerCore
import PostgresNIO

/// Stored connectors and sealed secrets in PostgreSQL.
extension PostgresStore: CatalogRepository {
    // MARK: connectors

    /// Creates or replaces the connector with `connector.name`; true when it was created.
    public func putConnector(_ connector: Connector, now: Date) async throws -> Bool {
        let spec = try jsonString(connector)
        let t = now.timeIntervalSince1970
        return try await pool.withConnection { s in
            // xmax = 0 only on a row this statement inserted.
            try await s.row("""
                INSERT INTO connectors (name, spec, created_at, updated_at) VALUES (\(connector.name), \(spec), \(t), \(t))
                ON CONFLICT (name) DO UPDATE SET spec=excluded.spec, updated_at=excluded.updated_at
                RETURNING (xmax = 0) AS created
                """)?.get("created", as: Bool.self) ?? false
        }
    }

    /// The stored connector named `name`, or nil.
    public func connector(_ name: String) async throws -> ConnectorRecord? {
        try await pool.withConnection { s in try await s.row("SELECT * FROM connectors WHERE name=\(name)").map(Self.connectorRecord) }
    }

    /// Every stored connector, by name.
    public func connectors() async throws -> [ConnectorRecord] {
        try await pool.withConnection { s in try await s.rows("SELECT * FROM connectors ORDER BY name").map(Self.connectorRecord) }
    }

    /// Deletes a connector; false when there was none. Queued tasks keep the copy they were submitted with.
    public func deleteConnector(_ name: String) async throws -> Bool {
        try await pool.withConnection { s in try await s.run("DELETE FROM connectors WHERE name=\(name)") > 0 }
    }

    /// A connector row as a record.
    private static func connectorRecord(_ row: PostgresRandomAccessRow) throws -> ConnectorRecord {
        ConnectorRecord(connector: try jsonValue(try row.get("spec", as: String.self)), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    // MARK: secrets

    /// Creates or replaces a secret's sealed value; true when it was created.
    public func putSecret(_ name: String, sealed: Data, now: Date) async throws -> Bool {
        let t = now.timeIntervalSince1970
        return try await pool.withConnection { s in
            try await s.row("""
                INSERT INTO secrets (name, sealed, created_at, updated_at) VALUES (\(name), \(sealed), \(t), \(t))
                ON CONFLICT (name) DO UPDATE SET sealed=excluded.sealed, updated_at=excluded.updated_at
                RETURNING (xmax = 0) AS created
                """)?.get("created", as: Bool.self) ?? false
        }
    }

    /// A secret's sealed value, or nil.
    public func sealedSecret(_ name: String) async throws -> Data? {
        try await pool.withConnection { s in try await s.row("SELECT sealed FROM secrets WHERE name=\(name)")?.get("sealed", as: Data.self) }
    }

    /// Every secret's name and times, by name.
    public func secrets() async throws -> [SecretInfo] {
        try await pool.withConnection { s in
            try await s.rows("SELECT name, created_at, updated_at FROM secrets ORDER BY name").map {
                SecretInfo(name: try $0.get("name"), createdAt: try $0.date("created_at"), updatedAt: try $0.date("updated_at"))
            }
        }
    }

    /// Deletes a secret; false when there was none.
    public func deleteSecret(_ name: String) async throws -> Bool {
        try await pool.withConnection { s in try await s.run("DELETE FROM secrets WHERE name=\(name)") > 0 }
    }
}
