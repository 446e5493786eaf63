import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends sd_notify(3) messages (`READY=1`, `STOPPING=1`, `WATCHDOG=1`) to `$NOTIFY_SOCKET`.
public enum SystemdNotifier {
    /// A sender for `$NOTIFY_SOCKET`, or one that does nothing when it is unset.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> @Sendable (String) -> Void {
        guard let path = env["NOTIFY_SOCKET"], !path.isEmpty else { return { _ in } }
        return { message in send(message, to: path) }
    }

    /// Sends one datagram; errors are ignored as sd_notify does.
    public static func send(_ message: String, to path: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        let maxLen = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < maxLen else { return }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let data = Array(message.utf8)
        _ = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, data, data.count, Int32(MSG_NOSIGNAL), sa, len)
            }
        }
    }
}
