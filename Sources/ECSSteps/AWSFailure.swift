import AWSCore
import DelegateProtocol
import HTTPClient

/// The one mapping from a failed AWS call to a task error: its code names what AWS answered.
///
/// A pipeline, an alert or a person reading `ecs-manager task get` can then
/// tell an `aws.AccessDeniedException` from an `aws.ThrottlingException`:
/// - an error answered by AWS: `aws.` and its error code (`AWSError.boundedCode`:
///   at most 64 letters, digits, `.`, `_` or `-`, since the code comes from the answer);
/// - a problem on our side of the call: `aws.NoCredentials`,
///   `aws.CredentialsFailed`, `aws.InvalidConfiguration`, `aws.InvalidResponse`;
/// - no answer at all: `aws.Unreachable` (connection, time-out or transport);
/// - anything else: `aws`.
enum AWSFailure {
    /// The task error code for `error`.
    static func code(_ error: Error) -> String {
        if let e = error as? AWSError { return "aws." + e.boundedCode }
        if let e = error as? AWSClientError {
            switch e.kind {
            case .noCredentials: return "aws.NoCredentials"
            case .credentialsFailed: return "aws.CredentialsFailed"
            case .invalidConfiguration: return "aws.InvalidConfiguration"
            case .invalidResponse: return "aws.InvalidResponse"
            }
        }
        if let e = error as? HTTPClientError, e.isTransient { return "aws.Unreachable" }
        return "aws"
    }

    /// The task error for `error`, its message prefixed by `context` when given.
    static func taskError(_ error: Error, context: String? = nil, suffix: String = "") -> TaskError {
        let text = describe(error)
        return TaskError(code: code(error), message: (context.map { "\($0): \(text)" } ?? text) + suffix)
    }

    /// Describes an AWS failure for a log line and a result (secrets are masked by the log).
    static func describe(_ error: Error) -> String {
        if let e = error as? AWSError { return "\(e.code): \(e.message)" }
        return "\(error)"
    }
}
