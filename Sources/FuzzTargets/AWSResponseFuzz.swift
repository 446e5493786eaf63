import AWSCore
import Foundation
import JSONValues

/// A response as the AWS target reads its input: an HTTP-like head (`STATUS`, then `Name: value` lines) and a body.
struct FuzzHTTPResponse {
    /// The status from the head's first line, else 400.
    var status = 400
    /// The header lines, in order.
    var headers: [(name: String, value: String)] = []
    /// Everything after the blank line (the whole input when there is none).
    var body: Data

    /// Splits `bytes` at the first blank line; without one the whole input is the body.
    init(_ bytes: [UInt8]) {
        let separator: [UInt8] = [0x0A, 0x0A]
        guard let range = bytes.firstRange(of: separator) else {
            body = Data(bytes)
            return
        }
        body = Data(bytes[range.upperBound...])
        for (i, line) in text(bytes[..<range.lowerBound]).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if i == 0, let s = Int(line), (100...599).contains(s) {
                status = s
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
        }
    }
}

/// Feeds one AWS answer to every parser the client runs on what a service (or a connector) sends.
///
/// The body goes to `AWSError.decode` (JSON 1.1, Query and REST-XML error
/// shapes), the JSON protocol's `JSONValue(parsing:)`, the Query protocol's
/// `XMLTree` and its JSON view, STS's credential reader and the container
/// credentials reader; the headers to `retryAfter`, the clock-skew `Date`
/// reader and, as endpoint URLs, regions, buckets and keys, to the endpoint resolver.
public func fuzzAWSResponse(_ bytes: [UInt8]) {
    let response = FuzzHTTPResponse(bytes)
    let error = AWSError.decode(service: "ECS", operation: "DescribeServices", status: response.status, headers: response.headers, body: response.body)
    fuzzCheck(!error.code.isEmpty, "an AWSError without a code: \(error)")
    _ = error.description
    if let json = try? JSONValue(parsing: response.body) {
        checkJSONRoundTrip(json, "a JSON 1.1 answer")
        _ = QueryParameters.flatten(json)
    }
    if let tree = try? XMLTree.parse(response.body) {
        let result = tree.child("DescribeLoadBalancersResult") ?? tree
        checkJSONRoundTrip(result.jsonValue, "an XML answer's JSON view")
        _ = tree.find("NextMarker")?.text
        _ = try? STSCredentialCalls.parseCredentials(result, operation: "AssumeRole")
    }
    if let metadata = try? JSONDecoder().decode(MetadataCredentialsResponse.self, from: response.body) {
        _ = try? metadata.credentials(source: "fuzz")
    }
    if let delay = retryAfter(response.headers) {
        fuzzCheck(delay >= .zero, "a negative Retry-After delay \(delay)")
    }
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    let skew = ClockSkew()
    if skew.adjust(serverDate: response.headers.first { $0.name.lowercased() == "date" }?.value, now: now) {
        _ = skew.correct(now)
    }
    for (name, value) in response.headers {
        if let endpoint = try? AWSEndpoint(url: value) { _ = endpoint.url(path: "/", query: name) }
        _ = try? EndpointResolver.resolve(service: .ecs, region: value, environment: [:])
        _ = try? EndpointResolver.s3Object(bucket: name, key: value, region: "us-east-1", environment: [:])
    }
}
