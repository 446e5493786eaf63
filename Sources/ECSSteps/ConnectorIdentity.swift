import DelegateProtocol
import Digests
import StepContracts

/// A name for "the same AWS account access" that holds no secret value, for caches shared across tasks.
package enum ConnectorIdentity {
    /// Region, endpoint, and a SHA-256 of the credentials (a digest: the secret itself never becomes part of a key).
    package static func key(_ aws: AWSConnectorForm?) -> String {
        let credentials = (aws?.credentials).flatMap { try? JSONValue(encoding: $0).jsonString } ?? ""
        return "\(aws?.region ?? "")|\(aws?.endpoint ?? "")|\(SHA256Digest.hex(credentials))"
    }
}
