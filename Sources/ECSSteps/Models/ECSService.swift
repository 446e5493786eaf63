import AWSCore
import DelegateProtocol
import Foundation

/// The members of a DescribeServices (or CreateService/UpdateService) answer the steps read.
///
/// The one place their names are spelled: steps read `service.runningCount`,
/// not `json["runningCount"]?.intValue`. Every member is optional, numbers are
/// range-checked on the way in, and unknown members are ignored, so an AWS
/// answer of any shape gives a model (with nils) rather than a crash.
struct ECSService: Codable, Sendable, Equatable {
    var serviceName: String?
    var serviceArn: String?
    /// ACTIVE, DRAINING or INACTIVE.
    var status: String?
    var taskDefinition: String?
    var desiredCount: Int?
    var runningCount: Int?
    var deployments: [ECSDeployment]
    var events: [ECSServiceEvent]
    var tags: [ECSTag]
    /// The target groups the service's tasks are registered in (`loadBalancers[].targetGroupArn`).
    var targetGroupArns: [String]

    /// Reads the members from an answer.
    init(_ v: JSONValue) {
        serviceName = v["serviceName"]?.stringValue
        serviceArn = v["serviceArn"]?.stringValue
        status = v["status"]?.stringValue
        taskDefinition = v["taskDefinition"]?.stringValue
        desiredCount = v["desiredCount"]?.intValue
        runningCount = v["runningCount"]?.intValue
        deployments = (v["deployments"]?.arrayValue ?? []).map(ECSDeployment.init)
        events = (v["events"]?.arrayValue ?? []).map(ECSServiceEvent.init)
        tags = (v["tags"]?.arrayValue ?? []).compactMap(ECSTag.init)
        targetGroupArns = (v["loadBalancers"]?.arrayValue ?? []).compactMap { $0["targetGroupArn"]?.stringValue }
    }

    /// Whether the service exists and takes traffic (not DRAINING or INACTIVE).
    var isActive: Bool { status == "ACTIVE" }

    /// The PRIMARY deployment: the one an UpdateService or CreateService just made.
    var primaryDeployment: ECSDeployment? { deployments.first { $0.status == "PRIMARY" } }

    /// The value of tag `key`, if the answer carried tags.
    func tag(_ key: String) -> String? { tags.first { $0.key == key }?.value }

    /// The ids of the events already in this answer (history, for a waiter that starts now).
    var eventIds: Set<String> { Set(events.compactMap(\.id)) }
}

/// One deployment of a service.
struct ECSDeployment: Codable, Sendable, Equatable {
    var id: String?
    /// PRIMARY, ACTIVE or INACTIVE.
    var status: String?
    var taskDefinition: String?
    var desiredCount: Int?
    var runningCount: Int?
    var failedTasks: Int?
    /// IN_PROGRESS, COMPLETED or FAILED (absent without the circuit breaker).
    var rolloutState: String?
    var rolloutStateReason: String?

    /// Reads the members from a `deployments` entry.
    init(_ v: JSONValue) {
        id = v["id"]?.stringValue
        status = v["status"]?.stringValue
        taskDefinition = v["taskDefinition"]?.stringValue
        desiredCount = v["desiredCount"]?.intValue
        runningCount = v["runningCount"]?.intValue
        failedTasks = v["failedTasks"]?.intValue
        rolloutState = v["rolloutState"]?.stringValue
        rolloutStateReason = v["rolloutStateReason"]?.stringValue
    }
}

/// One service event.
struct ECSServiceEvent: Codable, Sendable, Equatable {
    var id: String?
    var message: String?
    /// When it happened; nil when the answer's time is missing or not a time ECS sends.
    var createdAt: Date?

    /// Reads the members from an `events` entry.
    init(_ v: JSONValue) {
        id = v["id"]?.stringValue
        message = v["message"]?.stringValue
        createdAt = awsDate(v["createdAt"])
    }
}

/// An ECS tag (`{"key": ..., "value": ...}`).
struct ECSTag: Codable, Sendable, Equatable {
    var key: String
    var value: String

    /// Reads a tag; nil when it has no key.
    init?(_ v: JSONValue) {
        guard let key = v["key"]?.stringValue else { return nil }
        self.key = key
        value = v["value"]?.stringValue ?? ""
    }
}
