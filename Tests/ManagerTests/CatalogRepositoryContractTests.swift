import Foundation
import ManagerAPI
import ManagerCore
import Testing

/// The contract of `CatalogRepository` (stored connectors and sealed secrets), run against every repository implementation.
@Suite struct CatalogRepositoryContractTests {

    @Test(arguments: repositoryFactories) func connectorsAreCreatedReplacedListedAndDeleted(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var prod = Connector(name: "aws-prod", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate), delegateSelectors: ["prod"])
        await #expect(try store.putConnector(prod, now: t0))
        await #expect(try store.putConnector(Connector(name: "aws-dev", type: .aws, region: "eu-west-1", credentials: ConnectorCredentials(kind: .delegate)), now: t0))
        prod.region = "us-west-2"
        await #expect(try store.putConnector(prod, now: t0.addingTimeInterval(5)) == false, "a second put replaces")
        let record = try await #require(try store.connector("aws-prod"))
        #expect(record.connector == prod)
        #expect(record.createdAt == t0 && record.updatedAt == t0.addingTimeInterval(5))
        await #expect(try store.connectors().map(\.connector.name) == ["aws-dev", "aws-prod"])
        await #expect(try store.deleteConnector("aws-prod"))
        await #expect(try store.deleteConnector("aws-prod") == false)
        await #expect(try store.connector("aws-prod") == nil)
    }

    @Test(arguments: repositoryFactories) func secretsAreKeptSealedAndListedByNameOnly(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        await #expect(try store.putSecret("b", sealed: Data([1, 2, 3]), now: t0))
        await #expect(try store.putSecret("a", sealed: Data([4]), now: t0))
        await #expect(try store.putSecret("b", sealed: Data([9, 9]), now: t0.addingTimeInterval(1)) == false)
        await #expect(try store.sealedSecret("b") == Data([9, 9]))
        await #expect(try store.sealedSecret("nope") == nil)
        await #expect(try store.secrets() == [SecretInfo(name: "a", createdAt: t0, updatedAt: t0), SecretInfo(name: "b", createdAt: t0, updatedAt: t0.addingTimeInterval(1))])
        await #expect(try store.deleteSecret("a"))
        await #expect(try store.deleteSecret("a") == false)
        await #expect(try store.secrets().map(\.name) == ["b"])
    }
}
