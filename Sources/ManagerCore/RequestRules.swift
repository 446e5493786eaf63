import DelegateProtocol
import Foundation
import Manifests

/// What the manager accepts beyond what decoding checks: bounded, printable names, tags, types and numbers.
///
/// Every refusal is an `APIError` 400 `invalid` whose message names the member.
package enum RequestRules {
    /// The longest a task may be given to run: one week (the delegate holds envelopes to the same range).
    static let timeoutRange = TaskEnvelope.timeoutRange
    /// How many delegates' worth of parallel tasks one delegate may claim.
    static let capacityRange = 1...1000

    /// Checks a task submission; `knownTypes` are the types any delegate ever registered.
    static func check(_ s: SubmitTaskRequest, knownTypes: Set<String>) throws {
        try taskType(s.type, member: "type")
        try labels(s.selectors, member: "selectors")
        if let t = s.timeoutSeconds, !timeoutRange.contains(t) {
            throw invalid("member 'timeoutSeconds' must be from \(timeoutRange.lowerBound) to \(timeoutRange.upperBound) seconds, got \(t)")
        }
        if let e = s.executionId { try text(e, member: "executionId", maxBytes: 256) }
        if let e = GitSource.problem(inPayload: s.payload) { throw invalid("member 'payload.\(e.member)' \(e.message)") }
        guard knownTypes.contains(s.type) else {
            let known = knownTypes.isEmpty ? "none: no delegate has registered yet" : knownTypes.sorted().joined(separator: ", ")
            throw invalid("unknown task type '\(s.type)': no delegate has ever registered it (known types: \(known))")
        }
    }

    /// Checks a delegate's registration.
    package static func check(_ r: RegisterRequest) throws {
        guard r.protocolVersion == ProtocolV1.version else {
            throw invalid("member 'protocolVersion' is \(r.protocolVersion); this manager speaks version \(ProtocolV1.version)")
        }
        if let why = Identifiers.nameProblem(r.name) { throw invalid("member 'name': \(why)") }
        try text(r.hostname, member: "hostname", maxBytes: 255, allowEmpty: true)
        try text(r.version, member: "version", maxBytes: 64, allowEmpty: true)
        try text(r.instanceId, member: "instanceId", maxBytes: 128)
        try labels(r.tags, member: "tags")
        guard r.taskTypes.count <= 256 else { throw invalid("member 'taskTypes' has \(r.taskTypes.count) entries; at most 256") }
        for (i, t) in r.taskTypes.enumerated() { try taskType(t, member: "taskTypes[\(i)]") }
        guard capacityRange.contains(r.capacity) else {
            throw invalid("member 'capacity' must be from \(capacityRange.lowerBound) to \(capacityRange.upperBound), got \(r.capacity)")
        }
        if let held = r.heldTaskIds {
            guard held.count <= 10_000 else { throw invalid("member 'heldTaskIds' has \(held.count) entries; at most 10000") }
            for (i, id) in held.enumerated() { try text(id, member: "heldTaskIds[\(i)]", maxBytes: 128) }
        }
    }

    /// Checks a heartbeat: a known status, a free capacity within the capacity range, a bounded running list.
    package static func check(_ hb: HeartbeatRequest) throws {
        guard hb.status == "active" || hb.status == "draining" else {
            throw invalid("member 'status' must be \"active\" or \"draining\", got \(quoted(String(hb.status.prefix(64))))")
        }
        guard (0...capacityRange.upperBound).contains(hb.freeCapacity) else {
            throw invalid("member 'freeCapacity' must be from 0 to \(capacityRange.upperBound), got \(hb.freeCapacity)")
        }
        guard hb.running.count <= capacityRange.upperBound else {
            throw invalid("member 'running' has \(hb.running.count) entries; at most \(capacityRange.upperBound)")
        }
    }

    /// Checks an unregistration: the reason is logged, so it is one printable line of at most 1024 bytes.
    package static func check(_ u: UnregisterRequest) throws {
        try text(u.reason, member: "reason", maxBytes: 1024, allowEmpty: true)
    }

    /// A task type: non-empty, at most 128 bytes, no whitespace or control characters.
    static func taskType(_ value: String, member: String) throws {
        try text(value, member: member, maxBytes: 128)
        if value.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            throw invalid("member '\(member)' must not contain whitespace, got \(quoted(value))")
        }
    }

    /// Selectors or tags, by the rules the delegate's configuration uses too (`Identifiers`).
    static func labels(_ values: [String], member: String) throws {
        guard values.count <= Identifiers.maxTags else { throw invalid("member '\(member)' has \(values.count) entries; at most \(Identifiers.maxTags)") }
        for (i, v) in values.enumerated() {
            if let why = Identifiers.tagProblem(v) { throw invalid("member '\(member)[\(i)]': \(why), got \(quoted(v))") }
        }
    }

    /// The one text rule: non-empty (unless allowed), at most `maxBytes` UTF-8 bytes, no control or line-separator characters.
    static func text(_ value: String, member: String, maxBytes: Int, allowEmpty: Bool = false) throws {
        if value.isEmpty && !allowEmpty { throw invalid("member '\(member)' must not be empty") }
        if value.utf8.count > maxBytes { throw invalid("member '\(member)' is \(value.utf8.count) bytes long; at most \(maxBytes)") }
        if value.unicodeScalars.contains(where: Identifiers.isControl) {
            throw invalid("member '\(member)' must not contain control characters, got \(quoted(value))")
        }
    }


    /// `value` as a JSON string literal, so the control characters in it show as escapes.
    private static func quoted(_ value: String) -> String {
        (try? String(decoding: ProtocolV1.encoder().encode(value), as: UTF8.self)) ?? "\"?\""
    }

    /// A 400 `invalid` answer with `message`.
    private static func invalid(_ message: String) -> APIError {
        APIError(.badRequest, "invalid", message)
    }
}
