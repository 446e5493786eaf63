import Foundation
import ManagerPostgres
import Testing

/// `serve --database` URLs and password files: what is accepted, and what is refused with which words.
@Suite struct DatabaseURLTests {
    @Test func aFullURLIsReadWithItsTLSMode() throws {
        let url = try DatabaseURL("postgres://ecs@db.internal:6432/manager?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(url.user == "ecs" && url.host == "db.internal" && url.port == 6432 && url.database == "manager")
        #expect(url.sslMode == .verifyFull && url.sslRootCert == "/etc/ca.pem")
        #expect(try DatabaseURL("postgresql://u@h/d").port == 5432)
        #expect(try DatabaseURL("postgresql://u@h/d").sslMode == .prefer, "libpq's default")
    }

    @Test(arguments: [
        ("postgres://ecs:hunter2@h/d", "must not hold a password"),
        ("mysql://ecs@h/d", "must look like postgres://"),
        ("postgres://h/d", "names no user"),
        ("postgres://ecs@h:70000/d", "outside 1-65535"),
        ("postgres://ecs@h/", "names no database"),
        ("postgres://ecs@h/d?sslmode=sometimes", "sslmode 'sometimes' is not one of"),
        ("postgres://ecs@h/d?timeout=3", "unknown database URL parameter 'timeout'"),
    ]) func badURLsAreRefusedNamingWhy(_ text: String, _ why: String) {
        do {
            _ = try DatabaseURL(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect("\(error)".contains(why), "\(error)")
            #expect(!"\(error)".contains("hunter2"), "the error must not repeat the password")
        }
    }

    @Test func thePasswordFileGivesItsFirstLineAndMustBePrivate() throws {
        let path = NSTemporaryDirectory() + "pw-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data("s3cret pass\r\nignored\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect(try DatabaseURL.password(fromFile: path) == "s3cret pass")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect { try DatabaseURL.password(fromFile: path) } throws: { "\($0)".contains("may be read by others") && !"\($0)".contains("s3cret") }
        #expect { try DatabaseURL.password(fromFile: path + "-missing") } throws: { "\($0)".contains("cannot read the database password file") }
    }
}
