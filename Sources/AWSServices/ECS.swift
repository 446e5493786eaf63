import AWSCore
import Foundation

/// Amazon ECS operations (JSON 1.1). Inputs that come from manifests are passed
/// through as `JSONValue`; results are the service's JSON.
public struct ECS: Sendable {
    /// The client that signs and sends.
    public let client: AWSClient

    /// Creates the service facade.
    public init(client: AWSClient) {
        self.client = client
    }

    /// Calls any ECS operation by name.
    public func call(_ operation: String, _ input: JSONValue = [:]) async throws -> JSONValue {
        try await client.jsonCall(service: .ecs, operation: operation, input: input)
    }

    /// RegisterTaskDefinition with a task definition from a manifest; returns `taskDefinition`.
    public func registerTaskDefinition(_ input: JSONValue) async throws -> JSONValue {
        try await call("RegisterTaskDefinition", input)["taskDefinition"] ?? .null
    }

    /// DescribeTaskDefinition (with tags); returns the whole result (`taskDefinition`, `tags`).
    public func describeTaskDefinition(_ taskDefinition: String, includeTags: Bool = true) async throws -> JSONValue {
        var input: JSONValue = ["taskDefinition": .string(taskDefinition)]
        if includeTags { input["include"] = ["TAGS"] }
        return try await call("DescribeTaskDefinition", input)
    }

    /// CreateService; returns `service`.
    public func createService(_ input: JSONValue) async throws -> JSONValue {
        try await call("CreateService", input)["service"] ?? .null
    }

    /// UpdateService; returns `service`.
    public func updateService(_ input: JSONValue) async throws -> JSONValue {
        try await call("UpdateService", input)["service"] ?? .null
    }

    /// DeleteService; returns `service`.
    public func deleteService(cluster: String, service: String, force: Bool = false) async throws -> JSONValue {
        try await call("DeleteService", ["cluster": .string(cluster), "service": .string(service), "force": .bool(force)])["service"] ?? .null
    }

    /// DescribeServices with tags, in batches of 10; returns services and failures.
    public func describeServices(cluster: String, services: [String], includeTags: Bool = true) async throws -> (services: [JSONValue], failures: [JSONValue]) {
        var found: [JSONValue] = []
        var failures: [JSONValue] = []
        for batch in services.chunked(10) {
            var input: JSONValue = ["cluster": .string(cluster), "services": .array(batch.map { .string($0) })]
            if includeTags { input["include"] = ["TAGS"] }
            let out = try await call("DescribeServices", input)
            found += out["services"]?.arrayValue ?? []
            failures += out["failures"]?.arrayValue ?? []
        }
        return (found, failures)
    }

    /// ListServices, all pages; returns service ARNs.
    public func listServices(cluster: String) async throws -> [String] {
        try await Paginator.jsonCollect(
            client: client, service: .ecs, operation: "ListServices", input: ["cluster": .string(cluster)],
            tokenKey: "nextToken", resultKey: "serviceArns"
        ).compactMap(\.stringValue)
    }

    /// ListTasks, all pages; returns task ARNs.
    public func listTasks(cluster: String, serviceName: String? = nil, family: String? = nil, desiredStatus: String? = nil) async throws -> [String] {
        var input: JSONValue = ["cluster": .string(cluster)]
        if let serviceName { input["serviceName"] = .string(serviceName) }
        if let family { input["family"] = .string(family) }
        if let desiredStatus { input["desiredStatus"] = .string(desiredStatus) }
        return try await Paginator.jsonCollect(
            client: client, service: .ecs, operation: "ListTasks", input: input, tokenKey: "nextToken", resultKey: "taskArns"
        ).compactMap(\.stringValue)
    }

    /// DescribeTasks in batches of 100 (with tags); returns tasks and failures.
    public func describeTasks(cluster: String, tasks: [String], includeTags: Bool = true) async throws -> (tasks: [JSONValue], failures: [JSONValue]) {
        var found: [JSONValue] = []
        var failures: [JSONValue] = []
        for batch in tasks.chunked(100) {
            var input: JSONValue = ["cluster": .string(cluster), "tasks": .array(batch.map { .string($0) })]
            if includeTags { input["include"] = ["TAGS"] }
            let out = try await call("DescribeTasks", input)
            found += out["tasks"]?.arrayValue ?? []
            failures += out["failures"]?.arrayValue ?? []
        }
        return (found, failures)
    }

    /// RunTask; returns the whole result (`tasks`, `failures`).
    public func runTask(_ input: JSONValue) async throws -> JSONValue {
        try await call("RunTask", input)
    }

    /// TagResource with key/value tags.
    public func tagResource(arn: String, tags: [String: String]) async throws {
        let list: [JSONValue] = tags.keys.sorted().map { ["key": .string($0), "value": .string(tags[$0] ?? "")] }
        _ = try await call("TagResource", ["resourceArn": .string(arn), "tags": .array(list)])
    }

    /// UntagResource by keys.
    public func untagResource(arn: String, keys: [String]) async throws {
        _ = try await call("UntagResource", ["resourceArn": .string(arn), "tagKeys": .array(keys.map { .string($0) })])
    }

    /// ListClusters, all pages; returns cluster ARNs.
    public func listClusters() async throws -> [String] {
        try await Paginator.jsonCollect(
            client: client, service: .ecs, operation: "ListClusters", input: [:], tokenKey: "nextToken", resultKey: "clusterArns"
        ).compactMap(\.stringValue)
    }

    /// DescribeClusters (with tags); returns clusters and failures.
    public func describeClusters(_ clusters: [String]) async throws -> (clusters: [JSONValue], failures: [JSONValue]) {
        let out = try await call("DescribeClusters", ["clusters": .array(clusters.map { .string($0) }), "include": ["TAGS"]])
        return (out["clusters"]?.arrayValue ?? [], out["failures"]?.arrayValue ?? [])
    }
}
