import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP proxy the test drives: it passes bytes, drops connections, delays answers,
/// resets a connection in the middle of an answer, or holds connections open without ever answering.
///
/// It listens on a free port of 127.0.0.1 and forwards to `127.0.0.1:target`.
/// Modes take effect at once: `drop` closes every open connection, `halfOpen`
/// holds new connections (reading and discarding what the client sends, never
/// answering) and swallows the answers on open ones (the request has its
/// effect, the client never hears of it), `delay` holds every chunk of an answer, `resetMidResponse`
/// forwards part of an answer's first chunk and resets the connection.
/// `stop()` closes everything; every thread it started then ends.
final class FaultProxy: @unchecked Sendable {
    /// What the proxy does to traffic.
    enum Mode: Sendable, Equatable {
        case pass, drop, halfOpen, resetMidResponse
        case delay(Duration)
    }

    /// The port it listens on.
    let port: Int
    private let target: Int
    private let listener: Int32
    private let lock = NSLock()
    private var current: Mode = .pass
    private var open: Set<Int32> = []
    private var stopped = false
    private var counts: [String: Int] = [:]

    /// Listens on a free loopback port and forwards to `127.0.0.1:target`.
    init(target: Int) throws {
        self.target = target
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw HarnessError("bind/listen: \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    /// The URL of the proxied server.
    var url: String { "http://127.0.0.1:\(port)" }

    /// What the proxy does now; setting `drop` also closes every open connection.
    var mode: Mode {
        get { lock.withLock { current } }
        set {
            let closing: Set<Int32> = lock.withLock {
                current = newValue
                return newValue == .drop ? open : []
            }
            for fd in closing { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// How often each fault was applied (`drop`, `halfOpen`, `reset`, `delay`), and connections accepted (`accepted`).
    var applied: [String: Int] { lock.withLock { counts } }

    /// Closes the listener and every connection.
    func stop() {
        let fds: Set<Int32> = lock.withLock {
            guard !stopped else { return [] }
            stopped = true
            return open
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return a
    }

    private func count(_ what: String) { lock.withLock { counts[what, default: 0] += 1 } }

    private func track(_ fd: Int32) -> Bool {
        lock.withLock {
            if stopped { return false }
            open.insert(fd)
            return true
        }
    }

    private func untrack(_ fd: Int32) {
        lock.withLock { _ = open.remove(fd) }
        close(fd)
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            guard track(client) else { close(client); return }
            count("accepted")
            switch mode {
            case .drop:
                count("drop")
                untrack(client)
            case .halfOpen:
                count("halfOpen")
                Thread.detachNewThread { [self] in
                    // Read and discard until the client gives up (or the proxy stops): never an answer.
                    var buf = [UInt8](repeating: 0, count: 16_384)
                    while read(client, &buf, buf.count) > 0 {}
                    untrack(client)
                }
            default:
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var addr = Self.loopback(port: target)
                let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                guard upstream >= 0, ok == 0, track(upstream) else {
                    if upstream >= 0 { close(upstream) }
                    untrack(client)
                    continue
                }
                let pair = Pair(client: client, upstream: upstream)
                Thread.detachNewThread { [self] in
                    finish(pair, reset: pump(from: client, to: upstream, answers: false))
                }
                Thread.detachNewThread { [self] in
                    finish(pair, reset: pump(from: upstream, to: client, answers: true))
                }
            }
        }
    }

    /// The two sockets of one proxied connection, closed when both directions are done.
    private final class Pair: @unchecked Sendable {
        let client: Int32
        let upstream: Int32
        let lock = NSLock()
        var halves = 0

        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }
    }

    /// Ends one direction of `pair`: wakes the other, and closes both sockets once both are done.
    private func finish(_ pair: Pair, reset: Bool) {
        let both = pair.lock.withLock { pair.halves += 1; return pair.halves == 2 }
        // After a reset the client's socket only stops reading (waking the other direction), so its close() sends RST (SO_LINGER 0), not FIN.
        shutdown(pair.client, Int32(reset ? SHUT_RD : SHUT_RDWR))
        shutdown(pair.upstream, Int32(SHUT_RDWR))
        if both {
            untrack(pair.client)
            untrack(pair.upstream)
        }
    }

    /// Copies bytes until either side closes; `answers` marks the server-to-client direction, where faults apply.
    /// Returns whether it reset the connection.
    private func pump(from: Int32, to: Int32, answers: Bool) -> Bool {
        var buf = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(from, &buf, buf.count)
            if n <= 0 { return false }
            var length = n
            if answers {
                switch mode {
                case .delay(let d):
                    count("delay")
                    Thread.sleep(forTimeInterval: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                case .resetMidResponse:
                    count("reset")
                    length = max(1, n / 2)
                    _ = buf.withUnsafeBytes { send(to, $0.baseAddress, length, Int32(MSG_NOSIGNAL)) }
                    // SO_LINGER 0: close sends RST, not FIN.
                    var lin = linger(l_onoff: 1, l_linger: 0)
                    setsockopt(to, SOL_SOCKET, SO_LINGER, &lin, socklen_t(MemoryLayout<linger>.size))
                    return true
                case .drop:
                    return false
                case .halfOpen:
                    // The request went through; its answer never comes.
                    count("halfOpen")
                    continue
                default: break
                }
            }
            var sent = 0
            while sent < length {
                let w = buf.withUnsafeBytes { send(to, $0.baseAddress! + sent, length - sent, Int32(MSG_NOSIGNAL)) }
                if w <= 0 { return false }
                sent += w
            }
        }
    }
}
