import Foundation

/// Runs a command, returning its exit status (output discarded).
@discardableResult
public func sh(_ args: [String], in dir: String) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

/// A private CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI.
public struct TestPKI: Sendable {
    /// The directory holding ca.pem, server.pem/.key (for 127.0.0.1) and client.pem/.key.
    public let dir: String
    /// Makes the files in a fresh temporary directory.
    public init() throws {
        dir = NSTemporaryDirectory() + "pki-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: dir + "/san.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca"],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=delegate"],
            ["openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2"],
        ]
        for s in steps where try sh(s, in: dir) != 0 { throw TestPKIError(step: s.joined(separator: " ")) }
    }
}

/// An openssl step of `TestPKI` failed.
public struct TestPKIError: Error, CustomStringConvertible {
    /// The command line that failed.
    public let step: String
    public var description: String { "openssl failed (scripts/install-deps.sh installs it): \(step)" }
}
