import DelegateProtocol
import Foundation
import Testing

/// `ecs-manager secret` and `serve --secrets-key-file` as a user meets them.
@Suite(.serialized) struct SecretCommandTests {
    @Test func secretsNeedAKeyFileAndSaySo() async throws {
        let dir = try Scratch("secret-nokey")
        let manager = try await ManagerProcess(dir: dir)
        let set = try await cli(manager, ["secret", "set", "db-password"], stdin: "hunter2\n")
        #expect(set.status != 0 && set.stderr.contains("secrets_disabled") && set.stderr.contains("--secrets-key-file"), "\(set.stderr)")
        #expect(!set.stderr.contains("hunter2"))
        let list = try await cli(manager, ["secret", "list"])
        #expect(list.status != 0 && list.stderr.contains("--secrets-key-file"))
    }

    @Test func setListReplaceAndDeleteWithoutTheValueEverShowing() async throws {
        let dir = try Scratch("secret-cli")
        let manager = try await ConnectorRoutingTests.manager(dir)
        let value = "cli-s3cret-\(UUID().uuidString)"
        #expect(try await cli(manager, ["secret", "set", "db-password"], stdin: value).stdout == "secret db-password created\n")
        #expect(try await cli(manager, ["secret", "set", "db-password"], stdin: value + "2\n").stdout == "secret db-password updated\n")
        let empty = try await cli(manager, ["secret", "set", "other"], stdin: "\n")
        #expect(empty.status != 0 && empty.stderr.contains("empty"))
        let badName = try await cli(manager, ["secret", "set", "../x"], stdin: "v")
        #expect(badName.status != 0 && badName.stderr.contains("a name must start with an ASCII letter or digit"))
        let list = try await cli(manager, ["secret", "list", "--json"])
        let infos = try ProtocolV1.decoder().decode([[String: String]].self, from: Data(list.stdout.utf8))
        #expect(infos.map { $0["name"] } == ["db-password"] && infos.allSatisfy { Set($0.keys) == ["name", "createdAt", "updatedAt"] })
        #expect(try await cli(manager, ["secret", "delete", "db-password"]).stdout == "secret db-password deleted\n")
        let again = try await cli(manager, ["secret", "delete", "db-password"])
        #expect(again.status != 0 && again.stderr.contains("no secret db-password"))
        let output = (manager.child?.stdout ?? "") + (manager.child?.stderr ?? "")
        #expect(!output.contains(value) && output.contains("secret=db-password"))
    }

    @Test func aKeyFileOthersMayReadIsRefusedAtStart() async throws {
        let dir = try Scratch("secret-mode")
        let key = try ConnectorRoutingTests.keyFile(dir)
        chmod(key, 0o640)
        let token = try dir.write("token", "t")
        let serve = try Child(binDir + "/ecs-manager", ["serve", "--listen", "127.0.0.1:0", "--data", dir.file("data"), "--token-file", token, "--secrets-key-file", key], dir: dir, name: "serve")
        #expect(await serve.wait(timeout: .seconds(120)) == 1)
        #expect(serve.stderr.contains("has mode 640; it must be 0600 or stricter") && serve.stderr.contains("chmod 600"), "\(serve.stderr)")
    }
}
