import Foundation
import ManagerCore
import Testing

/// AES-256-GCM sealing of stored secrets, and the key file's rules.
@Suite struct SecretBoxTests {
    let box = try! SecretBox(key: Array(repeating: 7, count: 32))

    @Test func aSealedValueOpensUnderItsNameAndEachSealUsesAFreshNonce() throws {
        let a = try box.seal("hunter2 ünïcode\nline", name: "db-password")
        let b = try box.seal("hunter2 ünïcode\nline", name: "db-password")
        #expect(a != b, "a fresh nonce per value")
        #expect(a.count == 1 + 12 + "hunter2 ünïcode\nline".utf8.count + 16)
        #expect(try box.open(a, name: "db-password") == "hunter2 ünïcode\nline")
        #expect(try box.open(b, name: "db-password") == "hunter2 ünïcode\nline")
        #expect(!String(decoding: a, as: UTF8.self).contains("hunter2"))
        #expect(try box.open(try box.seal("", name: "empty"), name: "empty") == "")
    }

    @Test func anyChangedByteIsRefused() throws {
        let sealed = try box.seal("the value", name: "n")
        for i in sealed.indices {
            var tampered = sealed
            tampered[i] ^= 0x01
            #expect(throws: SecretBox.Failure.refused) { try box.open(tampered, name: "n") }
        }
        #expect(throws: SecretBox.Failure.refused) { try box.open(sealed.dropLast(), name: "n") }
        #expect(throws: SecretBox.Failure.refused) { try box.open(Data(), name: "n") }
    }

    @Test func theWrongKeyOrAnotherNameIsRefused() throws {
        let sealed = try box.seal("the value", name: "n")
        let other = try SecretBox(key: Array(repeating: 8, count: 32))
        #expect(throws: SecretBox.Failure.refused) { try other.open(sealed, name: "n") }
        #expect(throws: SecretBox.Failure.refused) { try box.open(sealed, name: "m") }
        #expect(throws: SecretBox.Failure.badKey) { try SecretBox(key: [1, 2, 3]) }
    }

    @Test func theKeyFileMustBeOwnerOnlyAndHold32BytesOr64HexCharacters() throws {
        let dir = NSTemporaryDirectory() + "skey-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ data: Data, mode: Int) throws -> String {
            let path = dir + "/" + name
            try data.write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            return path
        }
        let hex = String(repeating: "0f", count: 32) + "\n"
        #expect(try SecretsKeyFile.load(path: try write("hex", Data(hex.utf8), mode: 0o600)) == Array(repeating: 0x0f, count: 32))
        #expect(try SecretsKeyFile.load(path: try write("raw", Data(repeating: 0xAB, count: 32), mode: 0o400)) == Array(repeating: 0xAB, count: 32))
        let open = try write("open", Data(hex.utf8), mode: 0o644)
        #expect {
            try SecretsKeyFile.load(path: open)
        } throws: { "\($0)".contains("mode 644") && "\($0)".contains("chmod 600") }
        let short = try write("short", Data("abcd".utf8), mode: 0o600)
        #expect {
            try SecretsKeyFile.load(path: short)
        } throws: { "\($0)".contains("32 raw bytes or 64 hex characters") }
        #expect {
            try SecretsKeyFile.load(path: try write("nothex", Data(String(repeating: "zz", count: 32).utf8), mode: 0o600))
        } throws: { "\($0)".contains("64 hex characters") }
        #expect(throws: SecretsKeyFile.Refusal.self) { try SecretsKeyFile.load(path: dir + "/missing") }
    }
}
