import AWSCore

/// One target of a target group and its health, as DescribeTargetHealth answers it.
public struct TargetHealth: Sendable, Equatable, Hashable {
    /// The target: an IP address, an instance id or a Lambda ARN.
    public var id: String
    /// Its port (nil for Lambda targets).
    public var port: Int?
    /// `initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable` or `unhealthy.draining`.
    public var state: String
    /// ELB's reason code when not healthy, e.g. `Target.ResponseCodeMismatch`.
    public var reason: String?
    /// ELB's description of the reason.
    public var detail: String?

    /// Creates a target's health.
    public init(id: String, port: Int?, state: String, reason: String? = nil, detail: String? = nil) {
        self.id = id
        self.port = port
        self.state = state
        self.reason = reason
        self.detail = detail
    }

    /// An entry of `TargetHealthDescriptions` (nil without a target id).
    init?(_ v: JSONValue) {
        guard let id = v["Target"]?["Id"]?.stringValue else { return nil }
        let health = v["TargetHealth"]
        self.init(id: id, port: v["Target"]?["Port"]?.intValue, state: health?["State"]?.stringValue ?? "unknown",
                  reason: health?["Reason"]?.stringValue, detail: health?["Description"]?.stringValue)
    }

    /// `10.0.1.5:80`, or the id alone without a port.
    public var address: String { port.map { "\(id):\($0)" } ?? id }
}
