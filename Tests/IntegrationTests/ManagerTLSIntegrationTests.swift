import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import Testing
import TestSupport

/// `serve --tls-cert/--tls-key [--client-ca]` end to end, with a CA made by openssl in the test and real delegate processes.
@Suite(.serialized) struct ManagerTLSIntegrationTests {
    /// A manager serving HTTPS with the PKI's server certificate (and requiring client certificates from its CA when `clientCA`).
    static func manager(_ dir: Scratch, _ pki: TestPKI, clientCA: Bool) async throws -> ManagerProcess {
        try await ManagerProcess(dir: dir, extraArgs: [
            "--tls-cert", pki.dir + "/server.pem", "--tls-key", pki.dir + "/server.key", "--heartbeat-seconds", "1", "--poll-wait-seconds", "2", "--lease-seconds", "5",
        ] + (clientCA ? ["--client-ca", pki.dir + "/ca.pem"] : []))
    }

    /// An HTTP client trusting the PKI's CA, presenting its client certificate when `withCertificate`.
    static func http(_ pki: TestPKI, withCertificate: Bool) -> HTTPClient {
        var configuration = HTTPClientConfiguration()
        configuration.caFile = pki.dir + "/ca.pem"
        if withCertificate {
            configuration.clientCertificateFile = pki.dir + "/client.pem"
            configuration.clientKeyFile = pki.dir + "/client.key"
        }
        return HTTPClient(configuration: configuration)
    }

    @Test func aDelegateWithTheCAFileWorksAndOneWithoutFailsWithACertificateError() async throws {
        let pki = try TestPKI()
        let dir = try Scratch("tls")
        let manager = try await Self.manager(dir, pki, clientCA: false)
        #expect(manager.url.hasPrefix("https://127.0.0.1:"))
        #expect(manager.child?.stdout.contains("ecs-manager listening on https://127.0.0.1:") == true)
        let admin = manager.client(Self.http(pki, withCertificate: false))

        let trusting = try DelegateProcess(dir: dir, name: "trusting", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["tls"], extra: "ca_file: \(pki.dir)/ca.pem")
        do {
            _ = try await connectedDelegate(admin, name: "trusting")
        } catch {
            Issue.record("\(error): \(trusting.child.stderr.suffix(3000)) / admin: \((try? await admin.delegates()).map { "\($0)" } ?? "failed")")
            return
        }
        let task = try await admin.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["tls"], payload: ["count": 3]))
        #expect(try await finished(admin, task.taskId).state == "succeeded")
        #expect(try await allLines(admin, taskId: task.taskId).count == 3)

        let untrusting = try DelegateProcess(dir: dir, name: "untrusting", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["tls"])
        try await eventually(timeout: .seconds(20), "the delegate without ca_file reporting a certificate error") {
            untrusting.child.stderr.contains("registration failed; retrying")
        }
        let log = untrusting.child.stderr
        #expect(log.contains("SSL certificate problem: unable to get local issuer certificate"), "\(log)")
        #expect(try await admin.delegates().map(\.name) == ["trusting"])

        // The CLI: without --ca-file the same clear error; with it, an answer.
        let plain = try await cli(manager, ["delegates"])
        #expect(plain.status != 0 && plain.stderr.contains("SSL certificate problem"), "\(plain.stderr)")
        let verified = try await cli(manager, ["delegates", "--ca-file", pki.dir + "/ca.pem"])
        #expect(verified.status == 0 && verified.stdout.split(separator: "\n").contains { $0.split(separator: " ").prefix(3).dropFirst() == ["trusting", "connected"] },
                "\(verified.stdout)\(verified.stderr)")
    }

    @Test func withAClientCAADelegateWithoutAClientCertificateIsRefused() async throws {
        let pki = try TestPKI()
        let dir = try Scratch("mtls")
        let manager = try await Self.manager(dir, pki, clientCA: true)
        let admin = manager.client(Self.http(pki, withCertificate: true))

        let anonymous = try DelegateProcess(dir: dir, name: "anonymous", managerURL: manager.url, tokenFile: manager.tokenFile, tags: [], extra: "ca_file: \(pki.dir)/ca.pem")
        let identified = try DelegateProcess(
            dir: dir, name: "identified", managerURL: manager.url, tokenFile: manager.tokenFile, tags: [],
            extra: "ca_file: \(pki.dir)/ca.pem\nclient_cert: \(pki.dir)/client.pem\nclient_key: \(pki.dir)/client.key")
        _ = try await connectedDelegate(admin, name: "identified")
        let task = try await admin.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: ["count": 2]))
        #expect(try await finished(admin, task.taskId).state == "succeeded")

        try await eventually(timeout: .seconds(20), "the delegate without a client certificate refused") {
            anonymous.child.stderr.contains("registration failed; retrying")
        }
        print("mTLS refusal as the delegate logs it: \(anonymous.child.stderr.split(separator: "\n").first { $0.contains("registration failed") } ?? "")")
        #expect(try await admin.delegates().map(\.name) == ["identified"])
        // The same refusal for any client without a certificate, before any bearer token is read.
        await #expect(throws: ManagerClientError.self) { _ = try await manager.client(Self.http(pki, withCertificate: false)).delegates() }
        _ = identified
    }

    @Test func badTLSFlagsStopServeWithOneLineNamingTheFlag() async throws {
        let pki = try TestPKI()
        let dir = try Scratch("tls-flags")
        let token = try dir.write("token", "t")
        chmod(token, 0o600)
        let notPEM = try dir.write("not.pem", "hello")
        let cases: [([String], String)] = [
            (["--tls-cert", notPEM, "--tls-key", pki.dir + "/server.key"], "--tls-cert \(notPEM) holds no PEM certificate"),
            (["--tls-cert", pki.dir + "/server.pem", "--tls-key", dir.file("missing.key")], "cannot read --tls-key \(dir.file("missing.key"))"),
            (["--tls-cert", pki.dir + "/server.pem", "--tls-key", notPEM], "--tls-key \(notPEM) holds no PEM private key"),
            (["--tls-cert", pki.dir + "/server.pem", "--tls-key", pki.dir + "/server.key", "--client-ca", notPEM], "--client-ca \(notPEM) holds no PEM certificate"),
            (["--tls-cert", pki.dir + "/server.pem"], "--tls-cert and --tls-key go together"),
            (["--client-ca", pki.dir + "/ca.pem"], "--client-ca needs --tls-cert and --tls-key"),
        ]
        for (i, (flags, message)) in cases.enumerated() {
            let serve = try Child(binDir + "/ecs-manager", ["serve", "--listen", "127.0.0.1:0", "--data", dir.file("data"), "--token-file", token] + flags, dir: dir, name: "serve-\(i)")
            let status = await serve.wait(timeout: .seconds(120))
            #expect(status != nil && status != 0 && serve.stderr.contains(message), "\(flags): \(serve.stderr)")
        }
    }
}
