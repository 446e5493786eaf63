import DelegateRuntime
import Foundation

/// Loads `text` as a delegate.yaml written to a temporary file (removed after), with `environment` as the process's.
func loadConfig(_ text: String, environment: [String: String] = [:]) throws -> DelegateConfig {
    let p = NSTemporaryDirectory() + "cfg-\(UUID().uuidString.prefix(8)).yaml"
    try text.write(toFile: p, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: p) }
    return try DelegateConfig.load(path: p, environment: environment)
}
