import ArgumentParser
import Foundation
import ManagerClient

/// The exit codes of `ecs-manager`'s commands, as `--help` and docs/cli.md list them.
///
/// A script can tell "the deployment failed" (1) from "the manager could not
/// be asked" (4): `aws`'s and `kubectl`'s habit of keeping usage errors and
/// transport errors apart from a failed result.
enum CLIExit {
    /// It worked (an execution succeeded).
    static let ok: Int32 = 0
    /// It failed: an execution was rolled back (or stopped by `onFailure: abort`), a task failed, the manager refused the request.
    static let failed: Int32 = 1
    /// Bad usage or a bad file: an unknown flag, a missing argument, a pipeline file that does not read, a request the manager called invalid (400).
    static let usage: Int32 = 2
    /// An execution failed and its rollback failed too.
    static let rollbackFailed: Int32 = 3
    /// The manager was unreachable (no answer, or 502/503/504), or refused the key (401/403).
    static let unreachable: Int32 = 4

    /// The code for an error a command threw: nil for errors ArgumentParser itself ends with (help, `ExitCode`).
    static func code(for error: Error) -> Int32? {
        if let e = error as? ManagerClientError {
            switch e {
            case .transport: return unreachable
            case .badResponse: return failed
            case .http(let status, _, _):
                switch status {
                case 401, 403, 502, 503, 504: return unreachable
                case 400, 413, 422: return usage
                default: return failed
                }
            }
        }
        return nil
    }

    /// The epilogue of `ecs-manager --help`: exit codes and the environment every client command reads.
    static let help = """
        Exit codes:
          0  ok (an execution succeeded)
          1  failed: rolled back (or stopped by onFailure: abort), a task failed, a request refused
          2  bad usage or file: unknown flag, missing argument, a file that does not read, 400 from the manager
          3  an execution failed and its rollback failed too
          4  the manager was unreachable (no answer, 502/503/504) or refused the key (401/403)

        Environment (client commands; a flag wins over its variable):
          ECS_MANAGER_URL          the manager's URL (--manager; default http://127.0.0.1:8181)
          ECS_MANAGER_TOKEN        an API key's value (used when no token file is given)
          ECS_MANAGER_TOKEN_FILE   a file holding the API key (--token-file)
          ECS_MANAGER_CA_FILE      PEM CAs to verify an https manager with (--ca-file)
          ECS_MANAGER_CLIENT_CERT  PEM client certificate (--client-cert)
          ECS_MANAGER_CLIENT_KEY   its private key (--client-key)
        """
}

extension ECSManager {
    /// Parses and runs the command, ending with the exit codes of `CLIExit`.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            if let code = CLIExit.code(for: error) {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                Foundation.exit(code)
            }
            // ArgumentParser's own usage errors end with EX_USAGE (64); here they are 2, as for a bad file.
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(CLIExit.usage)
            }
            exit(withError: error)
        }
    }
}
