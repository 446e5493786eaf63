import AWSCore
import AWSServices
import AWSSigV4
import DelegateProtocol
import Digests
import Foundation
import HTTPClient
import HTTPTypes
import Hummingbird
import Logging
import ManagerClient
import Registry
import TestSupport
import Testing

/// The registry client and the `docker.*` task types against Debian's `docker-registry` (distribution 2.8) started by each test.
@Suite("Docker registry", .serialized, .timeLimit(.minutes(5)))
struct RegistryIntegrationTests {
    static let user = "alice"
    static let password = "it-registry-PW-7f3c9e"
    let http = HTTPClient()

    /// A client for `url` with the given credentials (nil: anonymous), asking for `pageSize` tags per page.
    func client(_ url: String, user: String? = nil, password: String? = nil, pageSize: Int = 100) throws -> RegistryClient {
        var registry: [String: JSONValue] = ["url": .string(url)]
        if let user { registry["username"] = .string(user) }
        if let password { registry["password"] = .string(password) }
        return RegistryClient(connector: try RegistryConnector(["dockerRegistry": .object(registry)]), http: http, pageSize: pageSize)
    }

    /// The `TaskError` `body` throws (a failed expectation when it throws none or another error).
    func taskError(_ body: () async throws -> Void) async -> TaskError? {
        do {
            try await body()
            Issue.record("expected a TaskError")
        } catch let e as TaskError {
            return e
        } catch {
            Issue.record("expected a TaskError, got \(error)")
        }
        return nil
    }

    @Test func anonymousRegistryTagsAcrossPagesDigestsOfManifestBytesAndIndexPlatforms() async throws {
        let registry = try await RegistryServer()
        let pusher = RegistryPusher(registry: registry.url, http: http) { _ in nil }
        let perl = try await pusher.image("library/nginx", tag: "perl", docker: true)
        for tag in ["1.25", "1.26", "1.27", "alpine", "latest"] { _ = try await pusher.manifest("library/nginx", tag, perl.body, mediaType: perl.mediaType) }
        let (index, images) = try await pusher.index("library/multi", tag: "v1", platforms: [("amd64", nil), ("arm64", "v8")])

        let c = try client(registry.url, pageSize: 2)
        try await c.validate()
        let tags = try await c.tags(repository: "library/nginx")
        #expect(tags.sorted() == ["1.25", "1.26", "1.27", "alpine", "latest", "perl"], "six tags over three pages of two")

        let resolved = try await c.resolve(repository: "library/nginx", reference: "perl")
        #expect(resolved.digest == "sha256:" + SHA256Digest.hex(perl.body) && resolved.digest == perl.digest)
        #expect(resolved.mediaType == ManifestMediaType.dockerManifest && resolved.platforms.isEmpty)
        #expect(try await c.resolve(repository: "library/nginx", reference: perl.digest) == resolved, "by digest too")

        let multi = try await c.resolve(repository: "library/multi", reference: "v1")
        #expect(multi.digest == index.digest && multi.mediaType == ManifestMediaType.ociIndex)
        #expect(multi.platforms == [
            PlatformManifest(os: "linux", architecture: "amd64", variant: nil, digest: images[0].digest),
            PlatformManifest(os: "linux", architecture: "arm64", variant: "v8", digest: images[1].digest),
        ])

        let unknownTag = await taskError { _ = try await c.resolve(repository: "library/nginx", reference: "nope") }
        #expect(unknownTag?.code == "registry.manifest_unknown" && unknownTag?.message.contains("MANIFEST_UNKNOWN") == true, "\(String(describing: unknownTag))")
        let unknownRepo = await taskError { _ = try await c.tags(repository: "library/none") }
        #expect(unknownRepo?.code == "registry.name_unknown" && unknownRepo?.message.contains("NAME_UNKNOWN") == true, "\(String(describing: unknownRepo))")
        let badRepo = await taskError { _ = try await c.tags(repository: "../v2") }
        #expect(badRepo?.code == "invalid_payload")
        await registry.stop()
        let down = await taskError { try await c.validate() }
        #expect(down?.code == "registry.unreachable" && down?.message.contains(registry.url) == true, "\(String(describing: down))")
    }

    @Test func htpasswdRegistryAcceptsTheRightPasswordAndNamesA401Otherwise() async throws {
        let registry = try await RegistryServer(auth: .htpasswd(users: [(Self.user, Self.password)]))
        defer { Task { await registry.stop() } }
        let basic = "Basic " + Data("\(Self.user):\(Self.password)".utf8).base64EncodedString()
        let pusher = RegistryPusher(registry: registry.url, http: http) { _ in basic }
        let pushed = try await pusher.image("team/app", tag: "1.0")

        let good = try client(registry.url, user: Self.user, password: Self.password)
        try await good.validate()
        #expect(try await good.tags(repository: "team/app").contains("1.0"))
        #expect(try await good.resolve(repository: "team/app", reference: "1.0").digest == pushed.digest)

        let wrong = await taskError { try await client(registry.url, user: Self.user, password: "wrong-password-1").validate() }
        #expect(wrong?.code == "registry.unauthorized", "\(String(describing: wrong))")
        #expect(wrong?.message.hasPrefix("401 unauthorized: registry \(registry.url) refused user 'alice' for GET /v2/") == true, "\(String(describing: wrong))")
        #expect(wrong?.message.contains("wrong-password-1") == false && wrong?.message.contains("\n") == false)
        let anonymous = await taskError { _ = try await client(registry.url).tags(repository: "team/app") }
        #expect(anonymous?.code == "registry.unauthorized" && anonymous?.message.contains("refused anonymous access") == true, "\(String(describing: anonymous))")
    }

    @Test func tokenAuthFetchesATokenPerScopeWithTheBasicCredentialsAndCachesIt() async throws {
        let tokens = try await TokenServer(users: [(Self.user, Self.password)])
        defer { tokens.stop() }
        let registry = try await RegistryServer(auth: .token(tokens))
        defer { Task { await registry.stop() } }
        let pusher = RegistryPusher(registry: registry.url, http: http) { repository in
            "Bearer " + (try await tokens.token(scope: "repository:\(repository):pull,push", user: Self.user, password: Self.password))
        }
        let (index, _) = try await pusher.index("library/nginx", tag: "perl", platforms: [("amd64", nil), ("arm64", "v8")])
        let before = try await tokens.counts()["repository:library/nginx:pull"] ?? 0

        let c = try client(registry.url, user: Self.user, password: Self.password)
        try await c.validate()
        #expect(try await c.resolve(repository: "library/nginx", reference: "perl").digest == index.digest)
        #expect(try await c.resolve(repository: "library/nginx", reference: "perl").platforms.count == 2)
        #expect(try await c.tags(repository: "library/nginx").contains("perl"))
        let counts = try await tokens.counts()
        #expect(counts["repository:library/nginx:pull"] == before + 1, "one token for the scope, reused: \(counts)")
        #expect(counts[""] == 1, "one token for GET /v2/ (no scope): \(counts)")

        let wrong = await taskError { try await client(registry.url, user: Self.user, password: "not-it-0000").validate() }
        #expect(wrong?.code == "registry.unauthorized" && wrong?.message.hasPrefix("401 unauthorized:") == true && wrong?.message.contains("GET token from \(tokens.url)/token") == true, "\(String(describing: wrong))")
        #expect(wrong?.message.contains("not-it-0000") == false)
    }

    @Test func aTamperedDockerContentDigestIsRefused() async throws {
        let registry = try await RegistryServer()
        defer { Task { await registry.stop() } }
        let pushed = try await RegistryPusher(registry: registry.url, http: http) { _ in nil }.image("library/nginx", tag: "perl")
        let forged = "sha256:" + String(repeating: "0", count: 64)
        let upstream = registry.url
        let http = self.http
        // A proxy in front of the real registry that passes everything through but rewrites Docker-Content-Digest on manifests.
        let proxy = try await LoopbackServer.start { router in
            router.get("**") { request, _ -> Response in
                let answer = try await http.send(HTTPClientRequest(url: upstream + request.uri.description, headers: request.headers.map { ($0.name.rawName, $0.value) }))
                var headers = HTTPFields()
                for (name, value) in answer.headers {
                    guard let field = HTTPField.Name(name), field != .contentLength, field != .transferEncoding, field != .connection else { continue }
                    headers[field] = name.lowercased() == "docker-content-digest" && request.uri.path.contains("/manifests/") ? forged : value
                }
                return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
            }
        }
        defer { proxy.stop() }
        let c = try client(proxy.baseURL)
        try await c.validate()
        #expect(try await c.tags(repository: "library/nginx") == ["perl"], "the proxy passes answers through")
        let refused = await taskError { _ = try await c.resolve(repository: "library/nginx", reference: "perl") }
        #expect(refused?.code == "registry.digest_mismatch", "\(String(describing: refused))")
        #expect(refused?.message.contains("digest mismatch: Docker-Content-Digest says \(forged) but the manifest's bytes hash to \(pushed.digest)") == true, "\(String(describing: refused))")
        #expect(try await client(registry.url).resolve(repository: "library/nginx", reference: "perl").digest == pushed.digest, "straight from the registry it resolves")
    }

    @Test func ecrGetAuthorizationTokenIsSignedParsedAndItsCredentialsReachTheRegistry() async throws {
        // Three unauthenticated calls create an IAM user allowed ecr:GetAuthorizationToken; every later call's signature is checked.
        let moto = try await MotoServer(noAuthCount: 3)
        defer { moto.stop() }
        let setup = AWSClient(
            credentialProvider: StaticCredentialProvider(AWSCredentials(accessKeyId: "AKIADUMMYDUMMYDUMMY1", secretAccessKey: "dummy")), httpClient: http,
            configuration: AWSClientConfiguration(region: "us-east-1", endpointOverride: moto.url, environment: [:]), logger: Logger(label: "ecr-test"))
        _ = try await setup.queryCall(service: .iam, action: "CreateUser", parameters: [("UserName", "puller")])
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"}]}"#
        _ = try await setup.queryCall(service: .iam, action: "PutUserPolicy", parameters: [("UserName", "puller"), ("PolicyName", "ecr"), ("PolicyDocument", policy)])
        let key = try await setup.queryCall(service: .iam, action: "CreateAccessKey", parameters: [("UserName", "puller")])
        let id = try #require(key.find("AccessKeyId")?.text)
        let secret = try #require(key.find("SecretAccessKey")?.text)

        // moto's token is base64("AWS:<account>-auth-token"); the registry's only user is exactly that.
        let aws = AWSClient(
            credentialProvider: StaticCredentialProvider(AWSCredentials(accessKeyId: id, secretAccessKey: secret)), httpClient: http,
            configuration: AWSClientConfiguration(region: "us-east-1", endpointOverride: moto.url, environment: [:]), logger: Logger(label: "ecr-test"))
        let authorization = try await ECR(client: aws).getAuthorizationToken()
        #expect(authorization.username == "AWS" && authorization.password.hasSuffix("-auth-token"))
        #expect(authorization.proxyEndpoint.hasPrefix("https://") && authorization.proxyEndpoint.contains(".dkr.ecr.us-east-1.amazonaws.com"))
        let registry = try await RegistryServer(auth: .htpasswd(users: [(authorization.username, authorization.password)]))
        defer { Task { await registry.stop() } }
        let basic = "Basic " + Data("AWS:\(authorization.password)".utf8).base64EncodedString()
        let pushed = try await RegistryPusher(registry: registry.url, http: http) { _ in basic }.image("app", tag: "2.0")

        func connector(_ secretKey: String) throws -> RegistryConnector {
            try RegistryConnector(["dockerRegistry": ["url": .string(registry.url), "ecr": [
                "region": "us-east-1", "endpoint": .string(moto.url),
                "credentials": ["kind": "static", "accessKeyId": .string(id), "secretAccessKey": .string(secretKey)],
            ]]])
        }
        let c = RegistryClient(connector: try connector(secret), http: http, environment: [:])
        try await c.validate()
        #expect(try await c.resolve(repository: "app", reference: "2.0").digest == pushed.digest)

        let badSignature = await taskError { try await RegistryClient(connector: try connector(secret + "x"), http: http, environment: [:]).validate() }
        #expect(badSignature?.code == "registry.ecr" && badSignature?.message.contains("ecr:GetAuthorizationToken failed in us-east-1") == true, "\(String(describing: badSignature))")
        #expect(badSignature?.message.contains(secret) == false)
    }

    @Test func dockerTaskTypesRunOnARealDelegateAndConnectorTestRunsDockerValidate() async throws {
        let registry = try await RegistryServer(auth: .htpasswd(users: [(Self.user, Self.password)]))
        defer { Task { await registry.stop() } }
        let basic = "Basic " + Data("\(Self.user):\(Self.password)".utf8).base64EncodedString()
        let pusher = RegistryPusher(registry: registry.url, http: http) { _ in basic }
        let perl = try await pusher.image("library/nginx", tag: "perl")
        for tag in (1...150).map({ "t\($0)" }) { _ = try await pusher.manifest("library/nginx", tag, perl.body, mediaType: perl.mediaType) }
        let (index, images) = try await pusher.index("library/nginx", tag: "multi", platforms: [("amd64", nil), ("arm64", "v8")])

        let dir = try Scratch("registry-tasks")
        let manager = try await ConnectorRoutingTests.manager(dir)
        let client = manager.client()
        let delegate = try DelegateProcess(dir: dir, name: "reg", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["reg"])
        _ = try await connectedDelegate(client, name: "reg")
        let inline: JSONValue = ["dockerRegistry": ["url": .string(registry.url), "username": .string(Self.user), "password": .string(Self.password)]]

        /// Submits `type` with `payload` and the inline connector; returns the finished task and its log.
        func run(_ type: String, _ payload: JSONValue, connector: JSONValue = inline) async throws -> (TaskInfo, [String]) {
            let report = try await client.submit(SubmitTaskRequest(type: type, selectors: ["reg"], payload: payload, connector: connector))
            let done = try await finished(client, report.taskId)
            return (done, try await allLines(client, taskId: report.taskId).map(\.text))
        }

        let (validated, validateLog) = try await run("docker.validate", [:])
        #expect(validated.state == "succeeded", "\(validated)")
        #expect(validateLog == ["Connecting to Docker registry \(registry.url) as alice", "Docker registry \(registry.url) accepted the credentials (GET /v2/ answered 200)"])

        let (listed, listLog) = try await run("docker.listTags", ["image": "library/nginx"])
        #expect(listed.state == "succeeded" && listed.outputs?["tags"]?.arrayValue?.count == 154, "perl, multi, the index's two build tags, t1...t150: two pages of 100")
        #expect(listLog.last == "Found 154 tag(s) of nginx")

        let (single, singleLog) = try await run("docker.resolveDigest", ["image": "library/nginx", "tag": "perl"])
        #expect(single.outputs?["digest"]?.stringValue == perl.digest)
        #expect(single.outputs?["image"]?.stringValue == "127.0.0.1:\(registry.port)/library/nginx@\(perl.digest)")
        #expect(single.outputs?["platforms"] == nil && singleLog == ["Resolved nginx:perl to \(perl.digest)"])

        let (multi, multiLog) = try await run("docker.resolveDigest", ["image": "library/nginx:multi"])
        #expect(multi.outputs?["digest"]?.stringValue == index.digest)
        #expect(multi.outputs?["platforms"] == [
            ["os": "linux", "architecture": "amd64", "digest": .string(images[0].digest)],
            ["os": "linux", "architecture": "arm64", "variant": "v8", "digest": .string(images[1].digest)],
        ])
        #expect(multiLog.first == "Resolved nginx:multi to \(index.digest) (an index of 2 platform(s))")

        let (unknown, unknownLog) = try await run("docker.resolveDigest", ["image": "library/nginx", "tag": "gone"])
        #expect(unknown.state == "failed" && unknown.error?.code == "registry.manifest_unknown" && unknown.error?.message.contains("MANIFEST_UNKNOWN") == true, "\(unknown)")
        #expect(unknownLog.allSatisfy { !$0.contains("Traceback") && !$0.contains("Fatal") })

        let wrong: JSONValue = ["dockerRegistry": ["url": .string(registry.url), "username": .string(Self.user), "password": "wrong-password-22"]]
        let (refused, refusedLog) = try await run("docker.validate", [:], connector: wrong)
        #expect(refused.state == "failed" && refused.error?.code == "registry.unauthorized" && refused.error?.message.hasPrefix("401 unauthorized") == true, "\(refused)")
        #expect(!(refused.error?.message ?? "").contains("wrong-password-22") && refusedLog.allSatisfy { !$0.contains("wrong-password-22") })

        let (badPayload, _) = try await run("docker.listTags", ["image": "Bad Name"])
        #expect(badPayload.error?.code == "invalid_payload" && badPayload.error?.message.contains("docker.listTags: image name 'Bad Name'") == true, "\(badPayload)")
        let (noConnector, _) = try await run("docker.validate", [:], connector: ["aws": ["region": "us-east-1"]])
        #expect(noConnector.error?.code == "invalid_connector", "\(noConnector)")

        // A stored dockerRegistry connector: `connector test` runs docker.validate on the delegate with its tags.
        let set = try await cli(manager, ["secret", "set", "registry-password"], stdin: Self.password + "\n")
        #expect(set.status == 0, "\(set.stderr)")
        let file = try dir.write("registry.yaml", """
            name: local-registry
            type: dockerRegistry
            url: \(registry.url)
            username: \(Self.user)
            passwordSecret: registry-password
            delegateSelectors: [reg]
            """)
        let apply = try await cli(manager, ["connector", "apply", file])
        #expect(apply.status == 0, "\(apply.stderr)")
        let test = try await cli(manager, ["connector", "test", "local-registry"])
        #expect(test.status == 0 && test.stdout.contains("Docker registry \(registry.url) accepted the credentials") && test.stdout.contains("connector local-registry: ok"), "\(test.stdout)\n\(test.stderr)")
        #expect(!test.stdout.contains(Self.password) && !test.stderr.contains(Self.password))
        let tasks = try await cli(manager, ["tasks"])
        #expect(tasks.stdout.contains("docker.validate"), "\(tasks.stdout)")
        _ = delegate
    }
}
