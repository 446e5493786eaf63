import AWSSigV4
import DelegateProtocol

/// A name for "the same AWS account access" that holds no secret value, for caches shared across tasks.
package enum ConnectorIdentity {
    /// Region, endpoint, and a SHA-256 of the credentials (a digest: the secret itself never becomes part of a key).
    package static func key(_ connector: JSONValue?) -> String {
        let aws = connector?["aws"]
        let region = aws?["region"]?.stringValue ?? ""
        let endpoint = aws?["endpoint"]?.stringValue ?? ""
        let credentials = aws?["credentials"]?.jsonString ?? ""
        return "\(region)|\(endpoint)|\(SigV4Crypto.sha256Hex(credentials))"
    }
}
