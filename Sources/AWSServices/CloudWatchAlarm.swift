import AWSCore

/// One CloudWatch alarm as DescribeAlarms answers it: what a verification reads.
public struct CloudWatchAlarm: Sendable, Equatable {
    /// The alarm's name.
    public var name: String
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    public var stateValue: String
    /// Why it is in that state, in CloudWatch's words.
    public var stateReason: String

    /// Creates an alarm.
    public init(name: String, stateValue: String, stateReason: String) {
        self.name = name
        self.stateValue = stateValue
        self.stateReason = stateReason
    }

    /// An entry of `MetricAlarms` or `CompositeAlarms` (nil without a name).
    init?(_ v: JSONValue) {
        guard let name = v["AlarmName"]?.stringValue else { return nil }
        self.init(name: name, stateValue: v["StateValue"]?.stringValue ?? "", stateReason: v["StateReason"]?.stringValue ?? "")
    }
}
