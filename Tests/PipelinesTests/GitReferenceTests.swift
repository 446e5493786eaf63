import DelegateProtocol
import Foundation
import Manifests
import Pipelines
import Testing

/// Git manifest references in pipeline files (issue 21): refused by the reader at the member's own line and column.
@Suite struct GitReferenceTests {
    func pipeline(_ git: String) -> String {
        """
        pipeline: web
        connector: aws-prod
        cluster: ecs-tutorial
        manifests:
          taskDefinition: {git: \(git)}
          serviceDefinition: {git: {url: "https://git.example.com/team/app.git", ref: main, path: ecs/svc.yaml}}
        strategy: {type: rolling}
        """
    }

    func problem(_ git: String) -> String {
        do {
            _ = try PipelineFile.parse(pipeline(git), file: "p.yaml", baseDirectory: NSTemporaryDirectory())
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func theIssuesURLIsRefusedWithFileLineAndColumn() {
        let text = problem(#"{url: "--upload-pack=touch /tmp/pwned", ref: main, path: td.yaml}"#)
        #expect(text.contains("p.yaml:5:31: manifests.taskDefinition.git.url: must not begin with '-'"), "\(text)")
    }

    @Test func aRefThatIsAnOptionIsRefused() {
        let text = problem(#"{url: "https://git.example.com/a.git", ref: "--upload-pack=touch /tmp/pwned", path: td.yaml}"#)
        #expect(text.contains("p.yaml:5:69: manifests.taskDefinition.git.ref: must not begin with '-'"), "\(text)")
    }

    @Test(arguments: [
        (#"{url: "ext::sh -c touch% /tmp/pwned", path: td.yaml}"#, "git.url"), (#"{url: "file:///tmp/repo", path: td.yaml}"#, "git.url"),
        (#"{url: /tmp/repo, path: td.yaml}"#, "git.url"), (#"{url: "ssh://-oProxyCommand=x/r", path: td.yaml}"#, "git.url"),
        (#"{url: "https://h/r.git", path: ../../etc/passwd}"#, "git.path"), (#"{url: "https://h/r.git", path: /etc/passwd}"#, "git.path"),
    ])
    func hostileMembersAreRefused(git: String, member: String) {
        let text = problem(git)
        #expect(text.contains("manifests.taskDefinition.\(member): "), "\(text)")
    }

    @Test func anOrdinaryReferenceReachesThePlanUnchanged() throws {
        let file = try PipelineFile.parse(pipeline(#"{url: "https://git.example.com/team/app.git", ref: v1.2, path: ecs/td.yaml, passwordSecret: git_token}"#), file: "p.yaml", baseDirectory: NSTemporaryDirectory())
        #expect(file.manifests["taskDefinition"] == ["store": "git", "url": "https://git.example.com/team/app.git", "ref": "v1.2", "path": "ecs/td.yaml", "passwordSecret": "git_token"])
        #expect(PipelinePlan(file).problem == nil)
    }

    @Test func aPlanFromElsewhereIsCheckedToo() throws {
        let file = try PipelineFile.parse(pipeline(#"{url: "https://git.example.com/team/app.git", path: ecs/td.yaml}"#), file: "p.yaml", baseDirectory: NSTemporaryDirectory())
        var plan = PipelinePlan(file)
        plan.steps[0].payload["manifests"]?["taskDefinition"]?["url"] = "--upload-pack=touch /tmp/pwned"
        #expect(plan.problem == "member 'plan.steps[0].payload.manifests.taskDefinition.url' must not begin with '-' (it would be read as an option of git)")
    }
}

/// Local manifest paths (issue 21): only regular files within the size limit are read, so a pipeline cannot make the CLI read for ever.
@Suite struct LocalManifestPathTests {
    @Test(arguments: ["/dev/zero", "/dev/urandom", "/proc/self", "/tmp"])
    func specialFilesAreRefusedWithoutReadingThem(path: String) {
        let text = "pipeline: web\nconnector: c\ncluster: k\nmanifests:\n  taskDefinition: {path: \(path)}\n  serviceDefinition: {inline: \"serviceName: s\"}\nstrategy: {type: rolling}\n"
        do {
            _ = try PipelineFile.parse(text, file: "p.yaml", baseDirectory: NSTemporaryDirectory())
            Issue.record("\(path) was read")
        } catch {
            #expect("\(error)".contains("p.yaml:5:26: manifests.taskDefinition.path: \(path) is not a regular file"), "\(error)")
        }
    }
}

/// `BoundedFile`: what every file named by input is read with.
@Suite struct BoundedFileTests {
    @Test func aLinkedRegularFileIsReadAndALargeOneIsRefusedBeforeReading() throws {
        let dir = NSTemporaryDirectory() + "bounded-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "family: f\n".write(toFile: dir + "/td.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.yaml", withDestinationPath: dir + "/td.yaml")
        #expect(try BoundedFile.read(dir + "/link.yaml", maxBytes: 100) == Data("family: f\n".utf8))
        #expect { try BoundedFile.read(dir + "/td.yaml", maxBytes: 4) } throws: { "\($0)" == "\(dir)/td.yaml is 10 bytes; the limit is 4 bytes" }
        #expect { try BoundedFile.read(dir + "/none", maxBytes: 4) } throws: { "\($0)" == "cannot read \(dir)/none" }
    }
}
