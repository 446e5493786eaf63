import Foundation
import HTTPClient

/// An error answered by an AWS service, decoded from any of the JSON, Query
/// (XML) and REST-XML error shapes.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The service id, e.g. `ECS`.
    public var service: String
    /// The operation, e.g. `DescribeServices`.
    public var operation: String
    /// The error code, e.g. `ThrottlingException`, `SignatureDoesNotMatch`.
    public var code: String
    /// The service's message.
    public var message: String
    /// The HTTP status.
    public var status: Int
    /// The request id, for AWS support.
    public var requestId: String?

    /// Creates an error.
    public init(service: String, operation: String, code: String, message: String, status: Int, requestId: String? = nil) {
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status
        self.requestId = requestId
    }

    /// The most characters of an error code kept where it names a thing (a task error's code, a metric label).
    public static let maxCodeLength = 64

    /// The code as a name: at most `maxCodeLength` characters of `[A-Za-z0-9._-]`, anything else `_` (it comes from the answer).
    public var boundedCode: String { Self.bounded(code) }

    /// `code` kept to `maxCodeLength` characters of `[A-Za-z0-9._-]`; `Unknown` when empty.
    public static func bounded(_ code: String) -> String {
        let kept = code.unicodeScalars.prefix(maxCodeLength).map { s -> Character in
            switch s {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return Character(s)
            default: return "_"
            }
        }
        return kept.isEmpty ? "Unknown" : String(kept)
    }

    /// One line: service, operation, code, status, message and request id.
    public var description: String {
        "\(service) \(operation) failed: \(code) (HTTP \(status)): \(message)\(requestId.map { " [request id \($0)]" } ?? "")"
    }

    /// Decodes an error response, whatever shape its body has (moto, for one,
    /// answers IAM denials for JSON services with an XML body).
    public static func decode(service: String, operation: String, status: Int, headers: [(name: String, value: String)], body: Data) -> AWSError {
        func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
        var code: String?
        var message: String?
        var requestId = header("x-amzn-RequestId") ?? header("x-amz-request-id")
        let first = body.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if first == UInt8(ascii: "{"), let json = try? JSONValue(parsing: body) {
            code = json["__type"]?.stringValue ?? json["code"]?.stringValue ?? json["Code"]?.stringValue
            message = json["message"]?.stringValue ?? json["Message"]?.stringValue ?? json["errorMessage"]?.stringValue
        } else if first == UInt8(ascii: "<"), let xml = try? XMLTree.parse(body) {
            let error = xml.find("Error") ?? xml
            code = error.string("Code") ?? xml.find("Code")?.text
            message = error.string("Message") ?? xml.find("Message")?.text
            requestId = requestId ?? xml.find("RequestId")?.text ?? xml.find("RequestID")?.text
        }
        if code == nil || code?.isEmpty == true { code = header("x-amzn-ErrorType") }
        var resolved = code ?? ""
        // `prefix#Code` (JSON) and `Code:http://...` (x-amzn-ErrorType) forms.
        if let hash = resolved.lastIndex(of: "#") { resolved = String(resolved[resolved.index(after: hash)...]) }
        if let colon = resolved.firstIndex(of: ":") { resolved = String(resolved[..<colon]) }
        if resolved.isEmpty { resolved = defaultCode(status) }
        return AWSError(
            service: service, operation: operation, code: resolved,
            message: message ?? "HTTP \(status) with no error message", status: status, requestId: requestId)
    }

    static func defaultCode(_ status: Int) -> String {
        switch status {
        case 400: return "BadRequest"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 429: return "TooManyRequestsException"
        case 500: return "InternalError"
        case 502: return "BadGateway"
        case 503: return "ServiceUnavailable"
        case 504: return "GatewayTimeout"
        default: return "HTTP\(status)"
        }
    }
}

/// A problem on our side of an AWS call: configuration, credentials, or a response we cannot read.
public struct AWSClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable, Equatable {
        /// No provider in the chain found credentials.
        case noCredentials
        /// Credentials were configured but could not be loaded.
        case credentialsFailed
        /// A setting (region, endpoint, profile) is missing or malformed.
        case invalidConfiguration
        /// The service's response could not be parsed.
        case invalidResponse
    }

    /// What went wrong.
    public var kind: Kind
    /// What to do about it.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message, which says what to do.
    public var description: String { message }
}
