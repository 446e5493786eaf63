import DelegateProtocol
import Testing

import Registry

/// Image names as users write them: parts, the repository a registry is asked about, and task-definition references.
@Suite struct ImageNameTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test func dockerHubNamesGetLibraryAndShortReferences() throws {
        let short = try ImageName("nginx")
        #expect(short.domain == nil && short.path == "nginx" && short.displayName == "nginx")
        #expect(short.repository(registryURL: "https://registry-1.docker.io") == "library/nginx")
        #expect(short.reference(registryURL: "https://registry-1.docker.io", tag: "perl") == "nginx:perl")
        let long = try ImageName("library/nginx")
        #expect(long.displayName == "nginx")
        #expect(long.repository(registryURL: "https://index.docker.io") == "library/nginx")
        #expect(long.reference(registryURL: "https://index.docker.io/", digest: Self.digest) == "nginx@\(Self.digest)")
    }

    @Test func privateRegistriesPrefixHostAndPortAndKeepThePath() throws {
        let name = try ImageName("library/nginx")
        #expect(name.repository(registryURL: "http://127.0.0.1:5000") == "library/nginx")
        #expect(name.reference(registryURL: "http://127.0.0.1:5000", digest: Self.digest) == "127.0.0.1:5000/library/nginx@\(Self.digest)")
        #expect(name.reference(registryURL: "https://registry.example.com", tag: "1.2") == "registry.example.com/library/nginx:1.2")
        // A one-part name is not put under library/ outside Docker Hub.
        #expect(try ImageName("app").repository(registryURL: "http://127.0.0.1:5000") == "app")
        #expect(try ImageName("app").reference(registryURL: "http://[::1]:5000", tag: "v1") == "[::1]:5000/app:v1")
    }

    @Test func domainsTagsAndDigestsAreSplitOff() throws {
        let ghcr = try ImageName("ghcr.io/org/tool:1.0")
        #expect(ghcr.domain == "ghcr.io" && ghcr.path == "org/tool" && ghcr.tag == "1.0" && ghcr.digest == nil)
        #expect(ghcr.displayName == "ghcr.io/org/tool")
        #expect(ghcr.reference(registryURL: "https://ghcr.io", tag: "1.0") == "ghcr.io/org/tool:1.0")
        let local = try ImageName("127.0.0.1:5000/library/nginx@\(Self.digest)")
        #expect(local.domain == "127.0.0.1:5000" && local.path == "library/nginx" && local.tag == nil && local.digest == Self.digest)
        #expect(try ImageName("localhost/a").domain == "localhost")
        #expect(try ImageName("a/b").domain == nil)
        #expect(try ImageName("my_org/my-app__x.y").path == "my_org/my-app__x.y")
    }

    @Test func namesThatBreakTheGrammarAreRefusedSayingWhy() {
        let cases: [(String, String)] = [
            ("", "is empty"),
            ("Nginx", "path component 'Nginx'"),
            ("a//b", "path component ''"),
            ("a/../b", "path component '..'"),
            ("a?x=1", "path component 'a?x=1'"),
            ("nginx:-bad", "has a tag"),
            ("nginx@sha256:abc", "has a digest"),
            ("bad_host.:5000/x", "registry host"),
            ("h.io:99999/x", "registry host"),
            (String(repeating: "a", count: 256), "longer than 255"),
            (String(repeating: "a", count: 5000), "longer than 455"),
        ]
        for (text, why) in cases {
            #expect(throws: TaskError.self) { try ImageName(text) }
            do {
                _ = try ImageName(text)
            } catch let e as TaskError {
                #expect(e.code == "invalid_payload" && e.message.contains(why), "\(text.prefix(20)): \(e.message.suffix(120))")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func tagAndDigestRules() {
        #expect(ImageName.isTag("perl") && ImageName.isTag("_x.Y-1") && ImageName.isTag(String(repeating: "t", count: 128)))
        #expect(!ImageName.isTag("") && !ImageName.isTag(".x") && !ImageName.isTag("a/b") && !ImageName.isTag(String(repeating: "t", count: 129)))
        #expect(ImageName.isDigest(Self.digest))
        #expect(!ImageName.isDigest(Self.digest.uppercased()) && !ImageName.isDigest("sha512:" + String(repeating: "a", count: 64)) && !ImageName.isDigest(Self.digest + "0"))
    }
}
