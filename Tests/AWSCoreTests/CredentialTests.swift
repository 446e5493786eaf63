import AWSSigV4
import Foundation
import TestSupport
import HTTPClient
import Logging
import Testing
import AWSCore

/// A scratch directory removed at the end of a test.
struct TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "aws-core-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = "\(path)/\(name)"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("Credential providers", .timeLimit(.minutes(2)))
struct CredentialTests {
    let http = HTTPClient()
    let logs = CapturedLogs()

    func context(_ env: [String: String], home: String? = nil, sts: String? = nil) -> CredentialContext {
        CredentialContext(environment: env, httpClient: http, logger: logs.logger(), region: "us-east-1", stsEndpoint: sts, homeDirectory: home ?? "/nonexistent")
    }

    static let metadataJSON = #"{"Code":"Success","AccessKeyId":"ASIAMETA","SecretAccessKey":"meta-secret","Token":"meta-token","Expiration":"2099-01-01T00:00:00Z"}"#

    @Test func environmentProvider() async throws {
        let c = try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "tok"]).credentials()
        #expect(c == AWSCredentials(accessKeyId: "AKIAENV", secretAccessKey: "env-secret", sessionToken: "tok"))
        await #expect {
            _ = try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV"]).credentials()
        } throws: { e in
            (e as? AWSClientError)?.kind == .credentialsFailed && !"\(e)".contains("secret")
        }
        await #expect { _ = try await EnvironmentCredentialProvider(environment: [:]).credentials() } throws: { e in
            (e as? AWSClientError)?.kind == .noCredentials
        }
    }

    @Test func chainOrder() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        _ = try dir.write("credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n")
        let env = ["AWS_SHARED_CREDENTIALS_FILE": "\(dir.path)/credentials", "AWS_EC2_METADATA_DISABLED": "true"]
        // The shared file answers when nothing earlier is configured.
        let fromFile = try await CredentialProviderChain.defaultChain(context: context(env)).credentials()
        #expect(fromFile.accessKeyId == "AKIAFILE")
        // The environment comes before the files.
        var withEnv = env
        withEnv["AWS_ACCESS_KEY_ID"] = "AKIAENV"
        withEnv["AWS_SECRET_ACCESS_KEY"] = "env-secret"
        #expect(try await CredentialProviderChain.defaultChain(context: context(withEnv)).credentials().accessKeyId == "AKIAENV")
        // Explicit (connector) credentials come first of all.
        let explicit = AWSCredentials(accessKeyId: "AKIACONN", secretAccessKey: "conn-secret")
        #expect(try await CredentialProviderChain.defaultChain(explicit: explicit, context: context(withEnv)).credentials().accessKeyId == "AKIACONN")
        // Nothing configured: an actionable error naming what was tried.
        await #expect {
            _ = try await CredentialProviderChain.defaultChain(context: context(["AWS_EC2_METADATA_DISABLED": "true"])).credentials()
        } throws: { e in
            guard let e = e as? AWSClientError else { return false }
            return e.kind == .noCredentials && e.message.contains("environment") && e.message.contains("EC2 instance metadata")
        }
    }

    @Test func credentialProcessAndProfiles() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let script = try dir.write(
            "creds.sh",
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \"proc-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
            executable: true)
        let failing = try dir.write("fail.sh", "#!/bin/sh\necho leaked-secret >&2\nexit 3\n", executable: true)
        _ = try dir.write("config", """
            [default]
            region = us-east-1
            [profile proc]
            credential_process = \(script)
            [profile broken]
            credential_process = \(failing)
            [profile static]
            aws_access_key_id = AKIACONF
            aws_secret_access_key = conf-secret
            """)
        let env = ["AWS_CONFIG_FILE": "\(dir.path)/config", "AWS_SHARED_CREDENTIALS_FILE": "\(dir.path)/none"]
        let proc = try await ProfileCredentialProvider(profile: "proc", context: context(env)).credentials()
        #expect(proc.accessKeyId == "AKIAPROC")
        #expect(proc.sessionToken == "proc-token")
        #expect(proc.expiration == Date(timeIntervalSince1970: 4_070_908_800))
        var withProfile = env
        withProfile["AWS_PROFILE"] = "static"
        #expect(try await ProfileCredentialProvider(context: context(withProfile)).credentials().accessKeyId == "AKIACONF")
        await #expect {
            _ = try await ProfileCredentialProvider(profile: "broken", context: context(env)).credentials()
        } throws: { e in
            (e as? AWSClientError)?.kind == .credentialsFailed && "\(e)".contains("status 3") && !"\(e)".contains("leaked-secret")
        }
        withProfile["AWS_PROFILE"] = "missing"
        await #expect {
            _ = try await ProfileCredentialProvider(context: context(withProfile)).credentials()
        } throws: { e in
            (e as? AWSClientError)?.kind == .credentialsFailed && "\(e)".contains("missing")
        }
    }

    @Test func ecsContainerRelativeURI() async throws {
        let server = try TestHTTPServer { req, _ in
            req.path == "/v2/credentials/abc" ? .respond(200, [], Data(Self.metadataJSON.utf8)) : .respond(404, [], Data())
        }
        defer { server.stop() }
        let provider = ContainerCredentialProvider(
            context: context(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"]), relativeBase: server.url)
        let c = try await provider.credentials()
        #expect(c.accessKeyId == "ASIAMETA")
        #expect(c.sessionToken == "meta-token")
        #expect(c.expiration != nil)
    }

    @Test func ecsContainerFullURIWithTokenFile() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let tokenFile = try dir.write("token", "pod-token-123\n")
        let server = try TestHTTPServer { req, _ in
            req.header("Authorization") == "pod-token-123" ? .respond(200, [], Data(Self.metadataJSON.utf8)) : .respond(401, [], Data())
        }
        defer { server.stop() }
        let env = [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(server.url)/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-file-set",
        ]
        #expect(try await ContainerCredentialProvider(context: context(env)).credentials().accessKeyId == "ASIAMETA")
        // The token variable works on its own; http to non-loopback hosts is refused.
        var plain = env
        plain["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = nil
        plain["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "pod-token-123"
        #expect(try await ContainerCredentialProvider(context: context(plain)).credentials().accessKeyId == "ASIAMETA")
        #expect(!ContainerCredentialProvider.isAllowedFullURI("http://10.0.0.5/creds"))
        #expect(ContainerCredentialProvider.isAllowedFullURI("http://169.254.170.23/v1/credentials"))
        #expect(ContainerCredentialProvider.isAllowedFullURI("https://creds.example.com/x"))
        // In the chain, container credentials come after the files and before IMDS.
        let chain = CredentialProviderChain.defaultChain(context: context(env.merging(["AWS_EC2_METADATA_DISABLED": "true"]) { $1 }))
        #expect(try await chain.credentials().accessKeyId == "ASIAMETA")
    }

    @Test func instanceMetadataUsesIMDSv2Tokens() async throws {
        let server = try TestHTTPServer { req, _ in
            switch (req.method, req.path) {
            case ("PUT", "/latest/api/token"):
                return req.header("X-aws-ec2-metadata-token-ttl-seconds") == "21600" ? .respond(200, [], Data("imds-token".utf8)) : .respond(400, [], Data())
            case (_, _) where req.header("X-aws-ec2-metadata-token") != "imds-token":
                return .respond(401, [], Data())
            case ("GET", "/latest/meta-data/iam/security-credentials/"):
                return .respond(200, [], Data("my-role\n".utf8))
            case ("GET", "/latest/meta-data/iam/security-credentials/my-role"):
                return .respond(200, [], Data(Self.metadataJSON.utf8))
            default:
                return .respond(404, [], Data())
            }
        }
        defer { server.stop() }
        let env = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url]
        let c = try await InstanceMetadataCredentialProvider(context: context(env)).credentials()
        #expect(c.accessKeyId == "ASIAMETA")
        #expect(server.requests.map(\.method) == ["PUT", "GET", "GET"])
        // Last in the chain.
        #expect(try await CredentialProviderChain.defaultChain(context: context(env)).credentials().accessKeyId == "ASIAMETA")
        // No metadata service: the provider says "not configured" quickly.
        let closed = freeLoopbackPort()
        await #expect {
            _ = try await InstanceMetadataCredentialProvider(context: context(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(closed)"])).credentials()
        } throws: { e in (e as? AWSClientError)?.kind == .noCredentials }
    }

    @Test func oneRefresherAtATime() async throws {
        final class Counting: CredentialProvider, @unchecked Sendable {
            let lock = NSLock()
            var calls = 0
            let clock: @Sendable () -> Date
            init(clock: @escaping @Sendable () -> Date) { self.clock = clock }
            func credentials() async throws -> AWSCredentials {
                let n = lock.withLock { calls += 1; return calls }
                try await Task.sleep(for: .milliseconds(100))
                return AWSCredentials(accessKeyId: "ASIA\(n)", secretAccessKey: "s", sessionToken: "t", expiration: clock().addingTimeInterval(3600))
            }
        }
        final class Clock: @unchecked Sendable {
            let lock = NSLock()
            var now = Date(timeIntervalSince1970: 1_700_000_000)
            func get() -> Date { lock.withLock { now } }
            func advance(_ s: TimeInterval) { lock.withLock { now = now.addingTimeInterval(s) } }
        }
        let clock = Clock()
        let source = Counting(clock: { clock.get() })
        let provider = RefreshingCredentialProvider(source: source, now: { clock.get() })
        let ids = await withTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { (try? await provider.credentials().accessKeyId) ?? "error" } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(ids) == ["ASIA1"])
        #expect(source.calls == 1)
        // Still fresh 50 minutes later; refreshed once inside the 5-minute window.
        clock.advance(50 * 60)
        #expect(try await provider.credentials().accessKeyId == "ASIA1")
        clock.advance(6 * 60)
        let again = await withTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { (try? await provider.credentials().accessKeyId) ?? "error" } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(again) == ["ASIA2"])
        #expect(source.calls == 2)
        #expect(await provider.refreshCount == 2)
    }

    @Test func stsProvidersOnMoto() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let dir = try TempDir()
        defer { dir.remove() }
        let base = AWSCredentials(accessKeyId: "AKIABASE", secretAccessKey: "base-secret")
        let roleArn = "arn:aws:iam::123456789012:role/deployer"
        // AssumeRole over any source, with an external id and a session name.
        let assumed = try await AssumeRoleCredentialProvider(
            source: StaticCredentialProvider(base), roleArn: roleArn, externalId: "ext-1", sessionName: "delegate",
            context: context([:], sts: moto.url)
        ).credentials()
        #expect(assumed.accessKeyId.hasPrefix("ASIA"))
        #expect(assumed.sessionToken?.isEmpty == false)
        #expect(assumed.expiration != nil)
        // Web identity from the environment.
        let tokenFile = try dir.write("token", "eyJhbGciOi.fake.jwt")
        let web = try await WebIdentityCredentialProvider(
            context: context(["AWS_ROLE_ARN": roleArn, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_SESSION_NAME": "pod"], sts: moto.url)
        ).credentials()
        #expect(web.accessKeyId.hasPrefix("ASIA"))
        // role_arn + source_profile in the shared files, reaching STS through AWS_ENDPOINT_URL_STS.
        _ = try dir.write("credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n")
        _ = try dir.write("config", "[profile deploy]\nrole_arn = \(roleArn)\nsource_profile = base\nexternal_id = ext-2\nrole_session_name = from-profile\n")
        let env = [
            "AWS_CONFIG_FILE": "\(dir.path)/config", "AWS_SHARED_CREDENTIALS_FILE": "\(dir.path)/credentials",
            "AWS_PROFILE": "deploy", "AWS_ENDPOINT_URL_STS": moto.url, "AWS_EC2_METADATA_DISABLED": "true",
        ]
        let fromProfile = try await CredentialProviderChain.defaultChain(context: context(env)).credentials()
        #expect(fromProfile.accessKeyId.hasPrefix("ASIA"))
        #expect(fromProfile.sessionToken != nil)
    }
}
