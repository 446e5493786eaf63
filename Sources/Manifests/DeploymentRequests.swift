import DelegateProtocol
import Foundation

/// The request bodies of a rolling deployment, built from rendered manifests.
///
/// The deploy step sends exactly these (with the registered task definition's
/// ARN in place of `taskDefinitionPlaceholder`); `ecs-delegate manifest render`
/// prints them so a user can lint a manifest before deploying.
public struct DeploymentRequests: Sendable, Equatable {
    public var registerTaskDefinition: JSONValue
    public var createService: JSONValue?
    public var updateService: JSONValue?
    public var registerScalableTargets: [JSONValue]
    public var putScalingPolicies: [JSONValue]

    /// Stands for the ARN RegisterTaskDefinition returns, until it is known.
    public static let taskDefinitionPlaceholder = "<registered task definition ARN>"

    /// Builds the bodies for `cluster`; `keepRunningCount` omits desiredCount on update ("same as already running").
    public init(
        taskDefinition: JSONValue, service: JSONValue?, scalableTargets: [JSONValue] = [], scalingPolicies: [JSONValue] = [],
        cluster: String, taskDefinitionArn: String = DeploymentRequests.taskDefinitionPlaceholder,
        keepRunningCount: Bool = false, forceNewDeployment: Bool = false
    ) {
        registerTaskDefinition = taskDefinition
        registerScalableTargets = []
        putScalingPolicies = []
        guard case .object(let svc)? = service else {
            createService = nil
            updateService = nil
            return
        }
        var create = svc
        create["cluster"] = .string(cluster)
        create["taskDefinition"] = .string(taskDefinitionArn)
        createService = .object(create)

        let updatable = ShapeModel.ecs.members(of: "UpdateServiceRequest")
        var update: [String: JSONValue] = [:]
        for (k, v) in svc where updatable[k] != nil { update[k] = v }
        update["service"] = svc["serviceName"]
        update["cluster"] = .string(cluster)
        update["taskDefinition"] = .string(taskDefinitionArn)
        if keepRunningCount { update["desiredCount"] = nil }
        if forceNewDeployment { update["forceNewDeployment"] = .bool(true) }
        updateService = .object(update)

        let resourceId = JSONValue.string("service/\(cluster)/\(svc["serviceName"]?.stringValue ?? "")")
        registerScalableTargets = scalableTargets.map { t in
            guard case .object(var o) = t else { return t }
            o["ResourceId"] = resourceId
            return .object(o)
        }
        putScalingPolicies = scalingPolicies.map { p in
            guard case .object(var o) = p else { return p }
            o["ResourceId"] = resourceId
            return .object(o)
        }
    }

    /// The bodies by operation name, for printing.
    public var asJSON: JSONValue {
        var o: [String: JSONValue] = ["RegisterTaskDefinition": registerTaskDefinition]
        if let createService { o["CreateService"] = createService }
        if let updateService { o["UpdateService"] = updateService }
        if !registerScalableTargets.isEmpty { o["RegisterScalableTarget"] = .array(registerScalableTargets) }
        if !putScalingPolicies.isEmpty { o["PutScalingPolicy"] = .array(putScalingPolicies) }
        return .object(o)
    }
}

/// Turns `key=value` pairs (dotted keys nest) into expression variables.
public func parseVariables(_ pairs: [String]) throws -> [String: JSONValue] {
    var root: [String: JSONValue] = [:]
    for pair in pairs {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw ManifestErrors(errors: [ManifestError(file: "--var", message: "expected key=value, got '\(pair)'")])
        }
        let path = pair[..<eq].split(separator: ".").map(String.init)
        let value = JSONValue.string(String(pair[pair.index(after: eq)...]))
        root = setting(root, path[...], value)
    }
    return root
}

private func setting(_ object: [String: JSONValue], _ path: ArraySlice<String>, _ value: JSONValue) -> [String: JSONValue] {
    guard let head = path.first else { return object }
    var o = object
    if path.count == 1 {
        o[head] = value
    } else {
        o[head] = .object(setting(o[head]?.objectValue ?? [:], path.dropFirst(), value))
    }
    return o
}
