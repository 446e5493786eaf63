import DelegateProtocol
import Foundation

/// `value` as JSON text in the protocol's encoding, as the stores keep JSON columns.
package func jsonString<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try ProtocolV1.encoder().encode(value), as: UTF8.self)
}

/// A JSON column's text decoded in the protocol's encoding.
package func jsonValue<T: Decodable>(_ text: String) throws -> T {
    try ProtocolV1.decoder().decode(T.self, from: Data(text.utf8))
}
