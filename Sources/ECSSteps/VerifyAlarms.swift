import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `verify.alarms`: watches CloudWatch alarms for `windowSeconds`; any of them in ALARM, or missing, fails it at once.
///
/// DescribeAlarms every 5 s or sooner; one line per change of an alarm's
/// state, then the verdict, which is also the outputs' `verdict` and, when it
/// fails, the task's `VerificationFailed` message. It changes nothing, so it
/// records no snapshot.
struct VerifyAlarmsStep: ECSStep {
    /// The task type it runs.
    static let type = TaskType.verifyAlarms
    /// What a cancellation message calls it.
    static let noun = "alarm verification"

    /// Its payload, checked before anything runs.
    typealias Payload = AlarmsVerifyPayload

    /// Runs the verification; returns `VerifyOutputs`, or throws `VerificationFailed` with them.
    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let unit = "Verify"
        let log = run.log
        let cloudWatch = try run.clients().cloudWatch
        var watch = AlarmWatch(alarmNames: p.alarmNames, windowSeconds: p.window)
        log.log("Watching \(watch.names.count) alarm(s) for \(watch.windowSeconds) s: \(watch.names.prefix(10).joined(separator: ", "))\(watch.names.count > 10 ? ", ..." : "")", unit: unit)
        let clock = ContinuousClock()
        let started = clock.now
        while true {
            try run.checkCancelled()
            let alarms = try await run.patiently { try await cloudWatch.describeAlarms(names: watch.names) }
            let elapsed = clock.now - started
            let (verdict, lines) = watch.observe(alarms, at: elapsed)
            for line in lines { log.log(line, unit: unit) }
            switch verdict {
            case .passed(let line):
                return try run.conclude(VerifyOutputs(verdict: line, passed: watch.ok, total: watch.names.count), passed: true, unit: unit)
            case .failed(let line):
                return try run.conclude(VerifyOutputs(verdict: line, passed: watch.ok, total: watch.names.count), passed: false, unit: unit)
            case .waiting:
                try await run.pause(for: watch.pause(at: elapsed))
            }
        }
    }
}
