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
