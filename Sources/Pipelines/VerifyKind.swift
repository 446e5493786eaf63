import DelegateProtocol
import StepContracts

/// What a `verify` step checks, and the options each kind takes: the pipeline file's side of the `verify.*` task contracts.
///
/// ```yaml
/// - {type: verify, kind: http, url: "<+blueGreen.stageUrl>", requests: 20, expectStatus: "200"}
/// - {type: verify, kind: targetHealth, stableSeconds: 30}
/// - {type: verify, kind: alarms, alarmNames: [myapp-5xx], windowSeconds: 120}
/// ```
public enum VerifyKind: String, Sendable, CaseIterable {
    case http, targetHealth, alarms

    /// The task type the delegate runs.
    public var taskType: TaskType {
        switch self {
        case .http: return .verifyHTTP
        case .targetHealth: return .verifyTargetHealth
        case .alarms: return .verifyAlarms
        }
    }

    /// The heading a verify step of this kind shows when the file names none.
    var defaultName: String {
        switch self {
        case .http: return "Verify HTTP"
        case .targetHealth: return "Verify Target Health"
        case .alarms: return "Verify Alarms"
        }
    }

    /// The end of the default id, `verify-http` and so on.
    var idSuffix: String {
        switch self {
        case .http: return "http"
        case .targetHealth: return "target-health"
        case .alarms: return "alarms"
        }
    }

    /// The options of this kind (the payload's members, as the file spells them).
    var options: [String: PipelineStrategy.OptionType] {
        switch self {
        case .http:
            return [
                "url": .string, "requests": .integer(HTTPVerifyPayload.requestsRange), "intervalSeconds": .number(HTTPVerifyPayload.intervalRange),
                "expectStatus": .string, "expectBody": .string, "minSuccessRatio": .number(0...1), "timeoutSeconds": .integer(HTTPVerifyPayload.timeoutRange),
                "connectTo": .stringList,
            ]
        case .targetHealth:
            return ["serviceName": .string, "targetGroupArn": .string, "stableSeconds": .integer(TargetHealthVerifyPayload.stableRange),
                    "timeoutSeconds": .integer(TargetHealthVerifyPayload.timeoutRange)]
        case .alarms:
            return ["alarmNames": .stringList, "windowSeconds": .integer(AlarmsVerifyPayload.windowRange)]
        }
    }

    /// Every kind's options, for the reader's first pass (a member of another kind is refused by `problem(_:)`; where two kinds share a name, the wider range).
    static var allOptions: [String: PipelineStrategy.OptionType] {
        var all: [String: PipelineStrategy.OptionType] = [:]
        for kind in allCases {
            for (k, v) in kind.options {
                if case .integer(let a)? = all[k], case .integer(let b) = v {
                    all[k] = .integer(min(a.lowerBound, b.lowerBound)...max(a.upperBound, b.upperBound))
                } else {
                    all[k] = v
                }
            }
        }
        return all
    }

    /// The URL an http verify probes when the step names none: a blue/green's stage listener, when a blue/green create runs before it.
    static let defaultBlueGreenURL = "<+blueGreen.stageUrl>"

    /// The payload a verify step of this kind runs with; `defaultURL` for an http verify that names none.
    func payload(_ step: PipelineStep, cluster: String, stepId: String, defaultURL: String?) -> any StepPayload {
        switch self {
        case .http:
            return HTTPVerifyPayload(
                url: step.string("url") ?? defaultURL ?? "", requests: step.integer("requests"), intervalSeconds: step.number("intervalSeconds"),
                expectStatus: step.string("expectStatus"), expectBody: step.string("expectBody"), minSuccessRatio: step.number("minSuccessRatio"),
                timeoutSeconds: step.integer("timeoutSeconds"), connectTo: step.strings("connectTo"), stepId: stepId)
        case .targetHealth:
            return TargetHealthVerifyPayload(
                cluster: cluster, serviceName: step.string("serviceName"), targetGroupArn: step.string("targetGroupArn"),
                stableSeconds: step.integer("stableSeconds"), timeoutSeconds: step.integer("timeoutSeconds"), stepId: stepId)
        case .alarms:
            return AlarmsVerifyPayload(alarmNames: step.strings("alarmNames") ?? [], windowSeconds: step.integer("windowSeconds"), stepId: stepId)
        }
    }

    /// Why a verify step's options cannot run, or nil: options of another kind, a missing URL or alarm list, and what the payload's own checks refuse.
    ///
    /// `defaultURL` is what an http verify without `url` would probe (nil: nothing, so it needs one); `afterDeploy` says a step
    /// that deploys a service runs before it (its `serviceName` output then names the service a target health check watches).
    func problem(_ step: PipelineStep, defaultURL: String?, afterDeploy: Bool) -> String? {
        let foreign = step.options.keys.filter { $0 != "kind" && options[$0] == nil }.sorted()
        if let first = foreign.first { return "'\(first)' is not an option of a \(rawValue) verify (its options: \(options.keys.sorted().joined(separator: ", ")))" }
        switch self {
        case .http where step.string("url") == nil && defaultURL == nil:
            return "an http verify needs 'url' (it defaults to the stage listener only after a blueGreenCreate step)"
        case .alarms where step.strings("alarmNames")?.isEmpty ?? true:
            return "an alarms verify needs 'alarmNames', a list of CloudWatch alarm names"
        case .targetHealth where step.string("serviceName") == nil && step.string("targetGroupArn") == nil && !afterDeploy:
            return "a targetHealth verify needs 'serviceName' or 'targetGroupArn' (it defaults to the service a deploy step before it deployed)"
        default:
            break
        }
        // The payload's own checks, with a URL that is an expression (resolved when the step runs) stood in for by a plain one.
        var checked = step
        if let url = step.string("url") ?? defaultURL, StepExpressions.prefixes.contains(where: url.contains) { checked.options["url"] = "http://expression.invalid/" }
        if self == .targetHealth, step.string("targetGroupArn") == nil, step.string("serviceName") == nil { checked.options["serviceName"] = "from-the-deploy-step" }
        do {
            try payload(checked, cluster: "cluster", stepId: "check", defaultURL: "http://expression.invalid/").validate()
        } catch {
            return error.description
        }
        return nil
    }
}
