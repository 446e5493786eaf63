import DelegateProtocol
import Foundation
import ManagerPostgres
import TestSupport
import Testing

/// `sslmode` is honoured: a PostgreSQL server that takes TCP clients over TLS only, with an openssl-made CA.
@Suite struct PostgresTLSTests {
    @Test func sslmodesAreHonouredAgainstATLSOnlyServer() async throws {
        let pki = try TestPKI()
        let other = try TestPKI()
        defer {
            try? FileManager.default.removeItem(atPath: pki.dir)
            try? FileManager.default.removeItem(atPath: other.dir)
        }
        let server = try PostgresServer(tls: pki)
        defer { server.remove() }
        let database = try server.createDatabase(prefix: "tls")
        func open(_ sslmode: String, rootCert: String? = nil) async throws -> PostgresStore {
            try await PostgresStore(url: try DatabaseURL(server.url(database, sslmode: sslmode, rootCert: rootCert)), password: server.password, connections: 2)
        }
        // Checked against the CA: the store works.
        let verified = try await open("verify-full", rootCert: pki.dir + "/ca.pem")
        let id = try await verified.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: [], capacity: 1, taskTypes: ["x.y"], instanceId: "i")).delegateId
        #expect(try await verified.delegate(id)?.name == "d")
        // TLS without checking the certificate works too; prefer chooses TLS when offered.
        #expect(try await open("require").delegate(id) != nil)
        #expect(try await open("prefer").delegate(id) != nil)
        // Plain TCP is refused by the server; a certificate from another CA by the client.
        await #expect { try await open("disable") } throws: { "\($0)".contains("no pg_hba.conf entry") && "\($0)".contains("no encryption") }
        await #expect { try await open("verify-full", rootCert: other.dir + "/ca.pem") } throws: { error in
            "\(error)".contains("CERTIFICATE_VERIFY_FAILED") && "\(error)".contains("connecting to 127.0.0.1:") && !"\(error)".contains(server.password)
        }
    }
}
