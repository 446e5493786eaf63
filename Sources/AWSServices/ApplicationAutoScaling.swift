import AWSCore
import Foundation

/// Application Auto Scaling operations (JSON 1.1, target `AnyScaleFrontendService`).
public struct ApplicationAutoScaling: Sendable {
    /// The client that signs and sends.
    public let client: AWSClient

    /// Creates the service facade.
    public init(client: AWSClient) {
        self.client = client
    }

    /// Calls any Application Auto Scaling operation by name.
    public func call(_ operation: String, _ input: JSONValue = [:]) async throws -> JSONValue {
        try await client.jsonCall(service: .applicationAutoScaling, operation: operation, input: input)
    }

    /// RegisterScalableTarget with an input from a manifest.
    public func registerScalableTarget(_ input: JSONValue) async throws -> JSONValue {
        try await call("RegisterScalableTarget", input)
    }

    /// DeregisterScalableTarget.
    public func deregisterScalableTarget(serviceNamespace: String = "ecs", resourceId: String, scalableDimension: String = "ecs:service:DesiredCount") async throws {
        _ = try await call("DeregisterScalableTarget", [
            "ServiceNamespace": .string(serviceNamespace), "ResourceId": .string(resourceId), "ScalableDimension": .string(scalableDimension),
        ])
    }

    /// DescribeScalableTargets, all pages.
    public func describeScalableTargets(serviceNamespace: String = "ecs", resourceIds: [String] = [], scalableDimension: String? = nil) async throws -> [JSONValue] {
        var input: JSONValue = ["ServiceNamespace": .string(serviceNamespace)]
        if !resourceIds.isEmpty { input["ResourceIds"] = .array(resourceIds.map { .string($0) }) }
        if let scalableDimension { input["ScalableDimension"] = .string(scalableDimension) }
        return try await Paginator.jsonCollect(
            client: client, service: .applicationAutoScaling, operation: "DescribeScalableTargets", input: input,
            tokenKey: "NextToken", resultKey: "ScalableTargets")
    }

    /// PutScalingPolicy with an input from a manifest; returns `PolicyARN` and `Alarms`.
    public func putScalingPolicy(_ input: JSONValue) async throws -> JSONValue {
        try await call("PutScalingPolicy", input)
    }

    /// DeleteScalingPolicy.
    public func deleteScalingPolicy(
        policyName: String, serviceNamespace: String = "ecs", resourceId: String, scalableDimension: String = "ecs:service:DesiredCount"
    ) async throws {
        _ = try await call("DeleteScalingPolicy", [
            "PolicyName": .string(policyName), "ServiceNamespace": .string(serviceNamespace), "ResourceId": .string(resourceId),
            "ScalableDimension": .string(scalableDimension),
        ])
    }

    /// DescribeScalingPolicies, all pages.
    public func describeScalingPolicies(serviceNamespace: String = "ecs", resourceId: String? = nil, policyNames: [String] = []) async throws -> [JSONValue] {
        var input: JSONValue = ["ServiceNamespace": .string(serviceNamespace)]
        if let resourceId { input["ResourceId"] = .string(resourceId) }
        if !policyNames.isEmpty { input["PolicyNames"] = .array(policyNames.map { .string($0) }) }
        return try await Paginator.jsonCollect(
            client: client, service: .applicationAutoScaling, operation: "DescribeScalingPolicies", input: input,
            tokenKey: "NextToken", resultKey: "ScalingPolicies")
    }
}
