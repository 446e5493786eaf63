import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `verify.targetHealth`: passes once every target of the service's target groups (or of `targetGroupArn`) has been healthy for `stableSeconds`.
///
/// The target groups are the service's `loadBalancers` (DescribeServices, all
/// of them) unless the payload names one. DescribeTargetHealth every 5 s or
/// sooner; one line per change of a target's state, then the verdict, which is
/// also the outputs' `verdict` and, when it fails, the task's
/// `VerificationFailed` message. It changes nothing, so it records no snapshot.
struct VerifyTargetHealthStep: ECSStep {
    /// The task type it runs.
    static let type = TaskType.verifyTargetHealth
    /// What a cancellation message calls it.
    static let noun = "target health verification"

    /// Its payload, checked before anything runs.
    typealias Payload = TargetHealthVerifyPayload

    /// Runs the verification; returns `VerifyOutputs`, or throws `VerificationFailed` with them.
    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let unit = "Verify"
        let log = run.log
        let elb = try run.clients().elb
        let groups: [String]
        if let arn = p.targetGroupArn {
            groups = [arn]
            log.log("Watching target group \(Self.name(arn))", unit: unit)
        } else {
            let name = p.serviceName ?? ""
            guard let service = try await run.deployer(cluster: p.cluster).service(name), service.isActive else {
                throw TaskError(code: "ecs.service_missing", message: "service \(name) is not ACTIVE in cluster \(p.cluster): there are no targets to verify")
            }
            var seen: Set<String> = []
            groups = service.targetGroupArns.filter { seen.insert($0).inserted }
            guard !groups.isEmpty else {
                throw TaskError(code: "verify.no_target_group", message: "service \(name) in cluster \(p.cluster) has no load balancer target group; name one with targetGroupArn")
            }
            log.log("Watching the target group(s) of service \(name): \(groups.map(Self.name).joined(separator: ", "))", unit: unit)
        }
        log.log("Passing once every target has been healthy for \(p.stable) s, giving up after \(p.timeout) s", unit: unit)

        var watch = TargetHealthWatch(stableSeconds: p.stable, timeoutSeconds: p.timeout)
        let clock = ContinuousClock()
        let started = clock.now
        while true {
            try run.checkCancelled()
            var observed: [TargetHealthWatch.Observed] = []
            for arn in groups {
                let targets = try await run.patiently { try await elb.describeTargetHealth(targetGroupArn: arn) }
                observed += targets.map { TargetHealthWatch.Observed(group: Self.name(arn), target: $0) }
            }
            let elapsed = clock.now - started
            let (verdict, lines) = watch.observe(observed, at: elapsed)
            for line in lines { log.log(line, unit: unit) }
            switch verdict {
            case .passed(let line):
                return try run.conclude(VerifyOutputs(verdict: line, passed: watch.healthy, total: watch.total), passed: true, unit: unit)
            case .failed(let line):
                return try run.conclude(VerifyOutputs(verdict: line, passed: watch.healthy, total: watch.total), passed: false, unit: unit)
            case .waiting:
                try await run.pause(for: watch.pause(at: elapsed))
            }
        }
    }

    /// A target group's name from its ARN (`...:targetgroup/NAME/ID`), or the text as given.
    static func name(_ arn: String) -> String {
        let parts = arn.split(separator: "/")
        guard parts.count >= 3, parts[parts.count - 3].hasSuffix("targetgroup") else { return arn }
        return String(parts[parts.count - 2])
    }
}
