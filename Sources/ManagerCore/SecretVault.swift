import DelegateProtocol
import Foundation

/// Stored secrets: sealed with a `SecretBox` before they reach the repository, opened only to fill a lease envelope.
public struct SecretVault: Sendable {
    let repository: any CatalogRepository
    let box: SecretBox

    /// A vault keeping sealed secrets in `repository`, sealed and opened by `box`.
    package init(repository: any CatalogRepository, box: SecretBox) {
        self.repository = repository
        self.box = box
    }

    /// The largest secret value, bytes.
    public static let maxValueBytes = 64 << 10

    /// Why a secret could not be read.
    public struct Unavailable: Error, Sendable, Equatable {
        /// A stable code for the task error: `secret.missing` or `secret.unreadable`.
        public var code: String
        /// What happened and what to do.
        public var message: String
    }

    /// Seals `value` and stores it under `name`; true when the secret was created.
    public func put(_ name: String, value: String, now: Date = Date()) async throws -> Bool {
        try await repository.putSecret(name, sealed: try box.seal(value, name: name), now: now)
    }

    /// The value of secret `name`, for a lease envelope.
    public func value(_ name: String) async throws -> String {
        guard let sealed = try await repository.sealedSecret(name) else {
            throw Unavailable(code: "secret.missing", message: "secret '\(name)' does not exist: run `ecs-manager secret set \(name)`, then submit the task again")
        }
        do {
            return try box.open(sealed, name: name)
        } catch {
            throw Unavailable(code: "secret.unreadable", message: "secret '\(name)' cannot be read: \(error)")
        }
    }
}
