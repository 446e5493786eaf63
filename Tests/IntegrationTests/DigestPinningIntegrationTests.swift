import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import Testing

/// Digest pinning end to end: a pipeline whose artifact comes from a real registry on loopback deploys exactly the bits it resolved.
@Suite(.serialized) struct DigestPinningIntegrationTests {
    /// The tutorial's rolling pipeline with its artifact taken from `registry`'s connector `local-registry`.
    func pipeline(_ w: PipelineIntegrationTests.World, tag: String, pin: Bool = true) throws -> String {
        let file = try w.pipeline("myapp-rolling", strategy: "{type: rolling}", image: "unused")
        let text = try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: #"artifact: {image: "unused"}"#, with: "artifact: {connector: local-registry, image: library/nginx, tag: \(tag), pinDigest: \(pin)}")
        return try w.dir.write("pinned-\(tag).yaml", text)
    }

    /// Pushes a one-layer image as `library/nginx:TAG`; `salt` makes other bits; returns its digest.
    func push(_ registry: RegistryServer, tag: String, salt: String) async throws -> String {
        let http = HTTPClient()
        defer { http.shutdown() }
        return try await RegistryPusher(registry: registry.url, http: http, authorization: { _ in nil }).image("library/nginx", tag: tag, docker: true, salt: salt).digest
    }

    /// The image the service's task definition names now.
    func serviceImage(_ w: PipelineIntegrationTests.World) async throws -> String? {
        guard let arn = try await w.sim.describeService("myapp")?["taskDefinition"] as? String else { return nil }
        let td = try await w.sim.ecs("DescribeTaskDefinition", ["taskDefinition": arn])
        let containers = (td["taskDefinition"] as? [String: Any])?["containerDefinitions"] as? [[String: Any]]
        return containers?.first?["image"] as? String
    }

    @Test func aPinnedDeploymentAndItsRollbackNameTheDigestsResolvedEvenAfterTheTagMoved() async throws {
        let w = try await PipelineIntegrationTests.World.start("pin")
        let registry = try await RegistryServer()
        try await storeRegistryConnector("local-registry", url: registry.url, world: w)
        let first = try await push(registry, tag: "perl", salt: "first build")

        let (ok, out, err) = try await w.run(try pipeline(w, tag: "perl"), "first")
        #expect(ok == 0, "\(err)\n\(out)")
        #expect(out.contains("Resolved nginx:perl to \(first) (pinned)"), "\(out)")
        let host = registry.url.replacingOccurrences(of: "http://", with: "")
        #expect(try await serviceImage(w) == "\(host)/library/nginx@\(first)")

        // The tag moves to other bits; the next deployment pins those.
        let second = try await push(registry, tag: "perl", salt: "rebuilt")
        #expect(second != first)
        let (ok2, out2, err2) = try await w.run(try pipeline(w, tag: "perl"), "second")
        #expect(ok2 == 0, "\(err2)\n\(out2)")
        #expect(out2.contains("Resolved nginx:perl to \(second) (pinned)"), "\(out2)")
        #expect(try await serviceImage(w) == "\(host)/library/nginx@\(second)")

        // Rolling the second execution back restores the first digest, although the tag now names the second.
        let id = try #require(out2.split(separator: "\n").last { $0.hasPrefix("Execution exec-") }?.split(separator: " ").dropFirst().first.map(String.init))
        let rb = try w.cli(["rollback", id, "--follow"], "rollback")
        #expect(await rb.wait(timeout: .seconds(120)) == 0, "\(rb.stderr)\n\(rb.stdout)")
        #expect(try await serviceImage(w) == "\(host)/library/nginx@\(first)")

        // The second execution's snapshot recorded what it deployed.
        let snapshots = try Child(binDir + "/ecs-delegate", ["snapshots", "--socket", w.dir.file("pipe-d.sock"), "--json"], dir: w.dir, name: "snapshots")
        #expect(await snapshots.wait(timeout: .seconds(120)) == 0, "\(snapshots.stderr)")
        #expect(snapshots.stdout.contains(second), "\(snapshots.stdout)")
        await registry.stop()
    }

    @Test func anUnpinnedArtifactNamesTheTagAndAnUnknownTagChangesNothing() async throws {
        let w = try await PipelineIntegrationTests.World.start("nopin")
        let registry = try await RegistryServer()
        try await storeRegistryConnector("local-registry", url: registry.url, world: w)
        _ = try await push(registry, tag: "stable", salt: "stable")
        let host = registry.url.replacingOccurrences(of: "http://", with: "")

        let (ok, out, err) = try await w.run(try pipeline(w, tag: "stable", pin: false), "unpinned")
        #expect(ok == 0, "\(err)\n\(out)")
        #expect(out.contains("Using \(host)/library/nginx:stable (not pinned: the tag may move)"), "\(out)")
        #expect(try await serviceImage(w) == "\(host)/library/nginx:stable")

        let before = try await w.sim.mutatingCalls().count
        let (failed, fout, ferr) = try await w.run(try pipeline(w, tag: "nosuchtag"), "unknown")
        #expect(failed == 1, "\(ferr)\n\(fout)")
        #expect(fout.contains("MANIFEST_UNKNOWN") && fout.contains("nothing was changed in AWS"), "\(fout)")
        #expect(try await w.sim.mutatingCalls().count == before, "a tag the registry does not know changes nothing in AWS")
        await registry.stop()
    }
}

/// Stores a `dockerRegistry` connector for `url` (anonymous) selecting the `ecs` delegates.
func storeRegistryConnector(_ name: String, url: String, world w: PipelineIntegrationTests.World) async throws {
    let file = try w.dir.write("\(name).yaml", "name: \(name)\ntype: dockerRegistry\nurl: \(url)\ndelegateSelectors: [ecs]\n")
    let apply = try w.cli(["connector", "apply", file], "apply-\(name)")
    guard await apply.wait(timeout: .seconds(120)) == 0 else { throw HarnessError("connector apply failed: \(apply.stderr)") }
}
