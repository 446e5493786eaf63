import Foundation
import ManagerAPI

/// What tasks draw on: stored connectors and secrets (sealed values only).
///
/// Secret values reach an implementation only sealed (`SecretBox`, through
/// `SecretVault`); inline task secrets and connectors are never given to it at
/// all (`InlineSecrets`). `ManagerStore` (SQLite) and `PostgresStore`
/// implement it; `CatalogRepositoryContractTests` hold both to the same contract.
public protocol CatalogRepository: Sendable {
    // MARK: connectors

    /// Creates or replaces the connector with `connector.name`; true when it was created.
    func putConnector(_ connector: Connector, now: Date) async throws -> Bool
    /// The stored connector named `name`, or nil.
    func connector(_ name: String) async throws -> ConnectorRecord?
    /// Every stored connector, by name.
    func connectors() async throws -> [ConnectorRecord]
    /// Deletes a connector; false when there was none.
    func deleteConnector(_ name: String) async throws -> Bool

    // MARK: secrets (sealed values only)

    /// Creates or replaces a secret's sealed value; true when it was created.
    func putSecret(_ name: String, sealed: Data, now: Date) async throws -> Bool
    /// A secret's sealed value, or nil.
    func sealedSecret(_ name: String) async throws -> Data?
    /// Every secret's name and times, by name (never values).
    func secrets() async throws -> [SecretInfo]
    /// Deletes a secret; false when there was none.
    func deleteSecret(_ name: String) async throws -> Bool
}
