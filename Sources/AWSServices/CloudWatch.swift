import AWSCore
import Foundation

/// Amazon CloudWatch operations (Query protocol, Version 2010-08-01): the alarms verifications watch.
public struct CloudWatch: Sendable {
    /// The client that signs and sends.
    public let client: AWSClient

    /// The most names DescribeAlarms takes in one call.
    public static let maxNamesPerCall = 100

    /// Creates the service facade.
    public init(client: AWSClient) {
        self.client = client
    }

    /// DescribeAlarms for `names` (metric and composite alarms), every page; names CloudWatch does not know are simply absent.
    public func describeAlarms(names: [String]) async throws -> [CloudWatchAlarm] {
        var all: [CloudWatchAlarm] = []
        for chunk in names.chunked(Self.maxNamesPerCall) {
            var base = chunk.enumerated().map { (name: "AlarmNames.member.\($0.offset + 1)", value: $0.element) }
            // Without AlarmTypes, CloudWatch answers metric alarms only.
            base += [("AlarmTypes.member.1", "CompositeAlarm"), ("AlarmTypes.member.2", "MetricAlarm")]
            var token: String?
            var seen: Set<String> = []
            repeat {
                var p = base
                if let token { p.append(("NextToken", token)) }
                let result = try await client.queryCall(service: .cloudWatch, action: "DescribeAlarms", parameters: p).jsonValue
                for key in ["MetricAlarms", "CompositeAlarms"] {
                    all += (result[key]?.arrayValue ?? []).compactMap(CloudWatchAlarm.init)
                }
                token = result["NextToken"]?.stringValue
                if let t = token, !seen.insert(t).inserted { break }
            } while token?.isEmpty == false
        }
        return all
    }
}
