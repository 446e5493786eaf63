import DelegateProtocol
import Foundation
import ManagerAPI

extension NotifierSpec {
    /// The longest notifier URL, bytes.
    public static let maxURLBytes = 2048

    /// The notifier a JSON object describes, or every problem in it: unknown and missing members, wrong types, bad values.
    ///
    /// The one validation both the REST API (JSON) and `notifier apply` (YAML, with line and column) use.
    public static func parse(_ json: JSONValue) throws(MemberProblems) -> NotifierSpec {
        try MemberReader.parse(json) { $0.notifier() }
    }
}

extension MemberReader {
    /// The notifier this top-level object describes.
    func notifier() -> NotifierSpec? {
        rejectUnknown(["name", "url", "events", "format", "secretName"], context: "of a notifier")
        let name = string("name", required: true, rule: ResourceName.problem)
        let url = string("url", required: true) { s in
            s.utf8.count > NotifierSpec.maxURLBytes ? "is \(s.utf8.count) bytes long; at most \(NotifierSpec.maxURLBytes)" : URLRules.connectorURLProblem(s)
        }
        let names = strings("events", what: "events", max: NotificationEvent.allCases.count) { s in
            NotificationEvent(rawValue: s) == nil
                ? "must be one of \(NotificationEvent.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s.prefix(64))'" : nil
        }
        var events: [NotificationEvent] = []
        for event in names.compactMap(NotificationEvent.init(rawValue:)) where !events.contains(event) { events.append(event) }
        if object["events"] == nil || object["events"] == .null {
            sink.add(path, "missing required member 'events' (any of \(NotificationEvent.allCases.map(\.rawValue).joined(separator: ", ")))")
        } else if events.isEmpty, case .array(let items) = object["events"], items.isEmpty {
            sink.add(at("events"), "must list at least one event")
        }
        var format = NotificationFormat.json
        if let raw = object["format"], raw != .null {
            format = choice("format", NotificationFormat.self) ?? .json
        }
        let secret = string("secretName", required: false, rule: ResourceName.problem)
        guard let name, let url, !events.isEmpty else { return nil }
        return NotifierSpec(name: name, url: url, events: events, format: format, secretName: secret)
    }
}
