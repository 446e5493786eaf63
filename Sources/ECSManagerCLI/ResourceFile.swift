import ArgumentParser
import Foundation
import Manifests

/// Reads a resource file (a connector's, a notifier's) for an `apply` command: every problem printed at its `file:line:column`, exit 2.
func readResourceFile<T>(_ file: String, what: String, _ parse: (String, String) throws(ManifestErrors) -> T) throws -> T {
    guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(what) file \(file)") }
    do {
        return try parse(String(decoding: data, as: UTF8.self), file)
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        throw ExitCode(CLIExit.usage)
    }
}
