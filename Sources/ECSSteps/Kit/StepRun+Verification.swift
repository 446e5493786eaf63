import DelegateProtocol
import DelegateRuntime
import StepContracts

/// How a verification ends: its verdict line, its outputs, and `VerificationFailed` when it did not pass.
extension StepRun {
    /// The code of a verification that ran and did not pass (its message is the verdict).
    package static let verificationFailed = "VerificationFailed"

    /// Ends a verification: logs the verdict as the step's last line, then returns the outputs, or fails the task
    /// with `VerificationFailed`, the verdict as its message, and the same outputs.
    func conclude(_ outcome: VerifyOutputs, passed: Bool, unit: String) throws -> [String: JSONValue] {
        log.log(outcome.verdict, level: passed ? "info" : "error", unit: unit)
        let outputs = try JSONValue.outputs(outcome)
        guard passed else {
            throw TaskFailure(error: TaskError(code: Self.verificationFailed, message: outcome.verdict), outputs: outputs)
        }
        return outputs
    }
}
