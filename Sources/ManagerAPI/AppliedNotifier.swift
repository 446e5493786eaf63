/// The answer to `PUT /v1/notifiers/{name}`: the notifier as stored, and whether it is new.
public struct AppliedNotifier: Codable, Sendable, Equatable {
    public var notifier: NotifierSpec
    /// True when the notifier was created, false when an existing one was replaced.
    public var created: Bool

    /// An answer with these members.
    public init(notifier: NotifierSpec, created: Bool) {
        self.notifier = notifier
        self.created = created
    }
}
