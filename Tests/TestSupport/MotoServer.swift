import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why moto could not be started.
public struct MotoUnavailable: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A `moto_server` subprocess on a free loopback port, killed by `stop()`.
public final class MotoServer: @unchecked Sendable {
    public let port: Int
    private let process: Process
    /// `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts moto; `noAuthCount` sets INITIAL_NO_AUTH_ACTION_COUNT (signature checks on after that many calls).
    ///
    /// A free port can be taken by another test's server between the look-up and
    /// moto's bind; the server that answers is checked to be moto (its
    /// `/moto-api/` answers 200), and moto is started again on another port if not.
    public init(noAuthCount: Int? = nil) async throws {
        var lastError = "no attempt"
        for _ in 0..<5 {
            let port = freeLoopbackPort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
            var env = ProcessInfo.processInfo.environment
            if let noAuthCount { env["INITIAL_NO_AUTH_ACTION_COUNT"] = String(noAuthCount) }
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if MotoServer.canConnect(port) {
                    if process.isRunning, MotoServer.isMoto(port) {
                        self.port = port
                        self.process = process
                        return
                    }
                    break  // someone else holds the port: try another
                }
                if !process.isRunning {
                    throw MotoUnavailable(message: "moto_server exited at once (status \(process.terminationStatus)); install it with: pip install 'moto[server]==5.2.1'")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            lastError = "moto_server did not answer on port \(port) within 30 s, or another server held the port"
        }
        throw MotoUnavailable(message: lastError)
    }

    /// Whether the server on `port` is moto: its `/moto-api/` dashboard answers 200.
    static func isMoto(_ port: Int) -> Bool {
        guard let fd = connectLoopback(port) else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 12 else { return false }
        let status = String(decoding: buffer[0..<n], as: UTF8.self)
        return status.hasPrefix("HTTP/1.1 200") || status.hasPrefix("HTTP/1.0 200")
    }

    /// Kills moto.
    public func stop() {
        // moto exits on SIGTERM only once every keep-alive connection closes; SIGKILL is immediate.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func canConnect(_ port: Int) -> Bool {
        guard let fd = connectLoopback(port) else { return false }
        close(fd)
        return true
    }

    /// A socket connected to 127.0.0.1:`port`, or nil; the caller closes it.
    static func connectLoopback(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            close(fd)
            return nil
        }
        return fd
    }
}

/// A free loopback TCP port (bound, then released).
public func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    _ = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
