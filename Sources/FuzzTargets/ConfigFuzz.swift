import DelegateRuntime
import Foundation

/// Loads the input as `delegate.yaml` (written to a temporary file, empty environment).
///
/// A configuration that loads must keep every value within the ranges the
/// runtime converts without checking again (durations, counts, and the socket
/// path within the 108 bytes of a Unix socket address, its NUL included).
public func fuzzConfig(_ bytes: [UInt8]) {
    let path = NSTemporaryDirectory() + "ecs-delegate-fuzz-config-\(getpid()).yaml"
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        fatalError("cannot write \(path)")
    }
    defer { unlink(path) }
    do {
        let c = try DelegateConfig.load(path: path, environment: [:])
        fuzzCheck(c.managerURL.hasPrefix("http://") || c.managerURL.hasPrefix("https://"), "manager_url \(c.managerURL)")
        fuzzCheck((1...1000).contains(c.capacity), "capacity \(c.capacity)")
        fuzzCheck((100...100_000_000).contains(c.spoolMaxLines), "spool_max_lines \(c.spoolMaxLines)")
        fuzzCheck((0...86_400).contains(c.shutdownGraceSeconds), "shutdown_grace_seconds \(c.shutdownGraceSeconds)")
        fuzzCheck((0.1...3600).contains(c.requestTimeoutSeconds), "request_timeout_seconds \(c.requestTimeoutSeconds)")
        fuzzCheck((0...87_600).contains(c.logRetentionHours), "log_retention_hours \(c.logRetentionHours)")
        fuzzCheck((0...3650).contains(c.snapshotRetentionDays), "snapshot_retention_days \(c.snapshotRetentionDays)")
        fuzzCheck(!c.statusSocket.isEmpty && c.statusSocket.utf8.count <= 107, "status_socket \(c.statusSocket)")
        fuzzCheck(!c.tags.contains(""), "an empty tag in \(c.tags)")
    } catch let e as ConfigErrors {
        fuzzCheck(!e.problems.isEmpty, "load threw ConfigErrors without a problem")
        _ = e.description
    } catch {
        _ = "\(error)"
    }
}
