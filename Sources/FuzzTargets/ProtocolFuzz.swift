import DelegateProtocol
import Foundation
import JSONValues

/// Decodes the input as every message the delegate and the CLI read from the manager, and as a `JSONValue`.
///
/// Every message that decodes is encoded again with `ProtocolV1.encoder()` and
/// decoded from that (a date outside ISO 8601's four-digit years may not come
/// back, so only a crash counts there); a `JSONValue` must serialize to JSON
/// that reads back unchanged; a decoding error must describe itself.
public func fuzzProtocol(_ bytes: [UInt8]) {
    let data = Data(bytes)
    roundTrip(TaskEnvelope.self, data)
    roundTrip([TaskEnvelope].self, data)
    roundTrip(RegisterResponse.self, data)
    roundTrip(HeartbeatResponse.self, data)
    roundTrip(LogAck.self, data)
    roundTrip(TaskInfo.self, data)
    roundTrip(LogPage.self, data)
    roundTrip(ErrorBody.self, data)
    if let value = try? JSONValue(parsing: data) {
        checkJSONRoundTrip(value, "a parsed JSONValue")
        if let envelope: TaskEnvelope = try? value.decode() { _ = envelope.payload.jsonString }
    }
}

/// Decodes `data` as `T`, then encodes and decodes what it got with the protocol's coders.
private func roundTrip<T: Codable>(_ type: T.Type, _ data: Data) {
    let value: T
    do {
        value = try ProtocolV1.decoder().decode(T.self, from: data)
    } catch let e as DecodingError {
        _ = describe(e)
        return
    } catch {
        _ = "\(error)"
        return
    }
    if let encoded = try? ProtocolV1.encoder().encode(value) {
        _ = try? ProtocolV1.decoder().decode(T.self, from: encoded)
    }
}
