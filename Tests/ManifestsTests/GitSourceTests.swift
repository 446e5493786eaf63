import DelegateProtocol
import Manifests
import Testing

/// `GitSource`: the one set of rules for Git manifest references (issue 21); each hostile form is refused naming its member.
@Suite struct GitSourceTests {
    func ref(url: String = "https://git.example.com/team/repo.git", ref: String = "main", path: String = "ecs/td.yaml") -> JSONValue {
        ["store": "git", "url": .string(url), "ref": .string(ref), "path": .string(path)]
    }

    func refusal(_ value: JSONValue, allowed: Set<GitSource.Transport> = Set(GitSource.Transport.allCases)) -> GitSourceError? {
        do {
            _ = try GitSource(value, allowed: allowed)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        "--upload-pack=touch /tmp/pwned", "--upload-pack=touch%20/tmp/pwned", "-oProxyCommand=x",
        "ext::sh -c touch% /tmp/pwned", "ext::sh", "file:///tmp/repo", "FILE:///tmp/repo", "/tmp/repo", "./repo", "../repo", "repo",
        "git://example.com/repo.git", "git@example.com:team/repo.git", "example.com:repo", "ssh://-oProxyCommand=touch/x",
        "ssh://user@-oProxyCommand=touch/x", "https://user:secret@example.com/repo.git", "https://example.com", "https://example.com/",
        "https://ex ample.com/repo", "https://example.com/repo\n--upload-pack=x", "https://-x.example.com/repo", "HTTPS://example.com/repo.git",
        "fd::x", "",
    ])
    func hostileURLsAreRefused(url: String) {
        let e = refusal(ref(url: url))
        #expect(e?.member == "url", "\(url): \(String(describing: e))")
    }

    @Test(arguments: ["--upload-pack=touch /tmp/pwned", "-x", "+refs/heads/main:refs/heads/x", "main:refs/heads/evil", "a..b", "a/.hidden", "x.lock", "a//b", "/main", "main/", "@", "a@{1}", "ma~in", "ma^in", "ma in", "ma*", "ma[", "a\\b", "main.", "tab\tx", ""])
    func hostileRefsAreRefused(r: String) {
        let e = refusal(ref(ref: r))
        #expect(e?.member == "ref", "\(r): \(String(describing: e))")
    }

    @Test(arguments: ["/etc/passwd", "../secret.yaml", "ecs/../../x", "./td.yaml", "ecs//td.yaml", "ecs/", "", "a\u{0}b", "a\nb"])
    func hostilePathsAreRefused(path: String) {
        let e = refusal(ref(path: path))
        #expect(e?.member == "path", "\(path): \(String(describing: e))")
    }

    @Test(arguments: [
        ("https://git.example.com/team/repo.git", "main", "ecs/td.yaml"), ("https://git.example.com:8443/r", "refs/heads/release/1.2", "td.yaml"),
        ("https://[::1]:8443/r.git", "v1.2.3", "a/b/c.yaml"), ("http://127.0.0.1:9418/m.git", "HEAD", "td.json"),
        ("ssh://git@github.com/team/repo.git", "0123456789abcdef0123456789abcdef01234567", "x-y_z.yaml"),
    ])
    func ordinaryReferencesAreAccepted(url: String, r: String, path: String) throws {
        let source = try GitSource(ref(url: url, ref: r, path: path))
        #expect(source.url == url && source.ref == r && source.path == path)
    }

    @Test func aRefDefaultsToHEAD() throws {
        #expect(try GitSource(["store": "git", "url": "https://h/r.git", "path": "td.yaml"]).ref == "HEAD")
    }

    @Test func theDelegatesTransportsDecide() {
        #expect(refusal(ref(url: "http://git.example.com/r.git"), allowed: [.https])?.message.contains("does not fetch over (its git_protocols: https)") == true)
        #expect(refusal(ref(url: "ssh://git.example.com/r.git"), allowed: [.https, .http])?.member == "url")
        #expect(refusal(ref(url: "https://git.example.com/r.git"), allowed: [.https]) == nil)
    }

    @Test func missingAndMistypedMembersAreNamed() {
        #expect(refusal(["store": "git", "path": "x"])?.member == "url")
        #expect(refusal(["store": "git", "url": "https://h/r", "path": 5])?.member == "path")
        #expect(refusal(["store": "git", "url": "https://h/r", "path": "x", "passwordSecret": "a\nb"])?.member == "passwordSecret")
    }

    @Test func aPayloadsFirstHostileReferenceIsNamedWithItsPlace() {
        let payload: JSONValue = [
            "manifests": [
                "taskDefinition": ref(),
                "scalableTargets": [ref(), ref(ref: "--upload-pack=x")],
                "serviceDefinition": ["store": "inline", "content": "x"],
            ]
        ]
        let e = GitSource.problem(inPayload: payload)
        #expect(e?.member == "manifests.scalableTargets[1].ref" && e?.message.hasPrefix("must not begin with '-'") == true, "\(String(describing: e))")
        #expect(GitSource.problem(inPayload: ["manifests": ["taskDefinition": ref()]]) == nil)
        #expect(GitSource.problem(inPayload: ["cluster": "c"]) == nil)
    }
}
