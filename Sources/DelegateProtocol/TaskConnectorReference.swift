import Foundation

/// `POST /v1/tasks` body with the optional `connectorName`: a submission that uses a connector stored in the manager.
///
/// Encoded and decoded flat: the members of `SubmitTaskRequest` plus `connectorName`.
public struct TaskSubmission: Codable, Sendable, Equatable {
    /// The submission as before (`connector` stays the inline JSON connector).
    public var request: SubmitTaskRequest
    /// The name of a connector stored in the manager; routes the task by its `delegateSelectors`.
    public var connectorName: String?
    /// The name of a stored `dockerRegistry` connector the task's artifact comes from (its selectors route the task too).
    public var artifactConnectorName: String?

    /// Creates a submission.
    public init(_ request: SubmitTaskRequest, connectorName: String? = nil, artifactConnectorName: String? = nil) {
        self.request = request
        self.connectorName = connectorName
        self.artifactConnectorName = artifactConnectorName
    }

    /// The members added to the flat form.
    private enum Keys: String, CodingKey { case connectorName, artifactConnectorName }

    /// Decodes the flat body.
    public init(from decoder: any Decoder) throws {
        request = try SubmitTaskRequest(from: decoder)
        let c = try decoder.container(keyedBy: Keys.self)
        connectorName = try c.decodeIfPresent(String.self, forKey: .connectorName)
        artifactConnectorName = try c.decodeIfPresent(String.self, forKey: .artifactConnectorName)
    }

    /// Encodes the flat body.
    public func encode(to encoder: any Encoder) throws {
        try request.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(connectorName, forKey: .connectorName)
        try c.encodeIfPresent(artifactConnectorName, forKey: .artifactConnectorName)
    }
}

/// A task as the manager reports it, with the stored connector that chose its delegates.
///
/// Encoded flat: the members of `TaskInfo` plus `connectorName`; a client that
/// decodes `TaskInfo` reads the same answer and ignores the extra member.
@dynamicMemberLookup
public struct TaskReport: Codable, Sendable, Equatable {
    /// The report as before.
    public var info: TaskInfo
    /// The stored connector whose `delegateSelectors` route the task, if any.
    public var connectorName: String?

    /// Creates a report.
    public init(_ info: TaskInfo, connectorName: String? = nil) {
        self.info = info
        self.connectorName = connectorName
    }

    /// The members of `TaskInfo`, read and written through the report.
    public subscript<T>(dynamicMember path: WritableKeyPath<TaskInfo, T>) -> T {
        get { info[keyPath: path] }
        set { info[keyPath: path] = newValue }
    }

    /// Whether the task has ended.
    public var isFinished: Bool { info.isFinished }

    /// The member added to the flat form.
    private enum Keys: String, CodingKey { case connectorName }

    /// Decodes the flat report.
    public init(from decoder: any Decoder) throws {
        info = try TaskInfo(from: decoder)
        connectorName = try decoder.container(keyedBy: Keys.self).decodeIfPresent(String.self, forKey: .connectorName)
    }

    /// Encodes the flat report.
    public func encode(to encoder: any Encoder) throws {
        try info.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(connectorName, forKey: .connectorName)
    }
}
