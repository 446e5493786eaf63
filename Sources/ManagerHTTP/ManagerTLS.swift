import Foundation
import ManagerCore
import NIOSSL

/// The manager's TLS files (`serve --tls-cert FILE --tls-key FILE [--client-ca FILE]`), read into a server configuration.
public struct ManagerTLS: Sendable, Equatable {
    /// PEM certificate chain, the server's certificate first.
    public var certificateFile: String
    /// PEM private key of the certificate.
    public var keyFile: String
    /// PEM CA certificates client certificates must chain to; when set, a client without a valid certificate is refused.
    public var clientCAFile: String?

    /// The largest PEM file read.
    static let maxFileBytes = 1 << 20

    /// Creates the settings.
    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
    }

    /// The server configuration (TLS 1.2 or later), or an error naming the flag and file that cannot be used.
    public func configuration() throws(ManagerTLSError) -> TLSConfiguration {
        let chain = try Self.certificates("--tls-cert", certificateFile)
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: try Self.read("--tls-key", keyFile), format: .pem)
        } catch let e as ManagerTLSError {
            throw e
        } catch {
            throw ManagerTLSError("--tls-key \(keyFile) holds no PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCAFile {
            configuration.trustRoots = .certificates(try Self.certificates("--client-ca", clientCAFile))
            // Clients are identified by their certificate's chain, not a host name.
            configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }

    /// The PEM certificates in `path`, at least one.
    private static func certificates(_ flag: String, _ path: String) throws(ManagerTLSError) -> [NIOSSLCertificate] {
        let bytes = try read(flag, path)
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw ManagerTLSError("\(flag) \(path) holds no PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw ManagerTLSError("\(flag) \(path) holds no PEM certificate") }
        return chain
    }

    /// The bytes of `path`, at most `maxFileBytes`.
    private static func read(_ flag: String, _ path: String) throws(ManagerTLSError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ManagerTLSError("cannot read \(flag) \(path)") }
        guard data.count <= maxFileBytes else { throw ManagerTLSError("\(flag) \(path) is \(data.count) bytes; a PEM file is at most \(maxFileBytes) bytes") }
        return Array(data)
    }
}

/// A TLS file the manager cannot use; the message names the flag and the file.
public struct ManagerTLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    /// Creates the error with its message.
    init(_ description: String) { self.description = description }
}
