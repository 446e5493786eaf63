import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// Runs an `ECSStep` as a delegate task: the one place that decodes payloads and maps failures.
package struct StepHandler<Step: ECSStep>: TaskHandler {
    package var type: String { Step.type.rawValue }
    let step: Step
    let env: StepEnvironment

    /// Creates the handler of `step`.
    package init(step: Step, env: StepEnvironment) {
        self.step = step
        self.env = env
    }

    package func run(_ context: TaskContext) async throws -> TaskOutcome {
        let payload = try StepPayloadDecoder.decode(Step.Payload.self, from: context.envelope.payload, task: Step.type)
        do {
            try step.check(payload)
        } catch let e as TaskError {
            throw TaskError(code: e.code, message: "\(Step.type): \(e.message)")
        }
        let wait = Step.waitsOnRollout ? try StepPayloadDecoder.decode(RolloutWait.self, from: context.envelope.payload, task: Step.type) : RolloutWait()
        let run = StepRun(context: context, env: env, wait: wait)
        do {
            let outputs = try await step.run(payload, run)
            return TaskOutcome(outputs: outputs, rollbackSnapshot: run.savedSnapshot)
        } catch {
            throw run.failure(error, noun: Step.noun)
        }
    }
}

/// Decodes step payloads with errors that name the member and the task type.
enum StepPayloadDecoder {
    /// `payload` as `P`, validated; a `TaskError` (`invalid_payload`) otherwise.
    static func decode<P: StepPayload>(_ type: P.Type, from payload: JSONValue, task: TaskType) throws -> P {
        guard payload.objectValue != nil else {
            throw TaskError(code: "invalid_payload", message: "\(task): the payload must be a JSON object")
        }
        let decoded: P
        let data = payload.serialized()
        let decoder = JSONDecoder()
        do {
            decoded = try decoder.decode(P.self, from: data)
        } catch let e as DecodingError {
            throw TaskError(code: "invalid_payload", message: "\(task): \(describe(e, decoding: P.self, from: data, with: decoder))")
        }
        do {
            try decoded.validate()
        } catch {
            throw TaskError(code: "invalid_payload", message: "\(task): \(error.message)")
        }
        return decoded
    }
}
