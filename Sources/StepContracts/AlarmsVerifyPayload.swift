/// `verify.alarms`'s payload: none of `alarmNames` may be in ALARM, or missing, for `windowSeconds`.
public struct AlarmsVerifyPayload: StepPayload, Equatable {
    /// The CloudWatch alarms watched (1-100 names, each 1-255 characters).
    public var alarmNames: [String]
    /// How long they are watched (0-86400 s, default 60).
    public var windowSeconds: Int?
    /// The step's id in its pipeline.
    public var stepId: String?

    /// The most alarms one step watches (DescribeAlarms' limit per call).
    public static let maxAlarms = 100
    /// The longest alarm name, in characters (CloudWatch's limit).
    public static let maxNameLength = 255
    /// The window when `windowSeconds` is absent.
    public static let defaultWindowSeconds = 60
    /// The windows `windowSeconds` may ask for.
    public static let windowRange = 0...86_400

    /// Creates a payload.
    public init(alarmNames: [String], windowSeconds: Int? = nil, stepId: String? = nil) {
        self.alarmNames = alarmNames
        self.windowSeconds = windowSeconds
        self.stepId = stepId
    }

    /// Throws the `PayloadProblem` naming the first member that is missing, malformed or out of range.
    public func validate() throws(PayloadProblem) {
        guard (1...Self.maxAlarms).contains(alarmNames.count) else {
            throw .member("alarmNames", "must name from 1 to \(Self.maxAlarms) alarms, got \(alarmNames.count)")
        }
        for (i, name) in alarmNames.enumerated() {
            // Bytes first, so a huge name is refused without counting its characters.
            if name.utf8.count > 4 * Self.maxNameLength || name.count > Self.maxNameLength {
                throw .member("alarmNames[\(i)]", "must be at most \(Self.maxNameLength) characters")
            }
            try PayloadCheck.text(name, maxBytes: 4 * Self.maxNameLength, "alarmNames[\(i)]")
        }
        try PayloadCheck.range(windowSeconds, Self.windowRange, "windowSeconds")
    }

    /// The names, each once, in the order given.
    public var distinctNames: [String] {
        var seen: Set<String> = []
        return alarmNames.filter { seen.insert($0).inserted }
    }

    /// The window in seconds.
    public var window: Int { min(max(windowSeconds ?? Self.defaultWindowSeconds, Self.windowRange.lowerBound), Self.windowRange.upperBound) }
}
