import DelegateProtocol

/// A task's payload as a type: encoded by whoever builds the task (pipelines, the CLI), decoded and checked by the step that runs it.
public protocol StepPayload: Codable, Sendable {
    /// Throws the `PayloadProblem` naming the member that is out of range; the default accepts everything decoded.
    func validate() throws(PayloadProblem)
}

extension StepPayload {
    public func validate() throws(PayloadProblem) {}
}

/// The payload of a task that takes no members (look-ups, connector checks).
public struct NoPayload: StepPayload, Equatable {
    /// The empty payload.
    public init() {}
}

extension JSONValue {
    /// One JSON object holding the members of each part in turn (a later part's member wins): how a payload is built from its pieces.
    ///
    /// Steps decode the same object once per piece (their own members, `RolloutWait`, blue/green routing), so the pieces are encoded flat.
    public static func object(merging parts: [any Encodable]) throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        for part in parts {
            guard let o = try JSONValue(encoding: part).objectValue else { continue }
            members.merge(o) { _, new in new }
        }
        return .object(members)
    }
}

extension JSONValue {
    /// A step's outputs from its typed pieces, merged flat like `object(merging:)`.
    public static func outputs(_ parts: any Encodable...) throws -> [String: JSONValue] {
        try object(merging: parts).objectValue ?? [:]
    }
}
