import Foundation
import JSONValues

/// The fuzz targets: their names (corpus directories, `make fuzz` output), entry functions and input bounds.
public enum FuzzTarget: String, CaseIterable, Sendable, Codable {
    /// `ManifestRenderer.render` for every `ManifestKind`, with variables from the input.
    case manifest
    /// `DelegateConfig.load` from a file holding the input.
    case config
    /// `ProtocolV1` decoding of the manager's answers, and `JSONValue(parsing:)`.
    case `protocol`
    /// AWS error bodies (JSON 1.1, Query/XML, REST-XML), `XMLTree`, `Retry-After`, `Date` and endpoint parsing.
    case awsResponse = "aws-response"
    /// The SigV4 canonical request and signature of an arbitrary request.
    case sigv4
    /// `PipelineFile.parse` and the plan it expands to.
    case pipeline
    /// `ConnectorFile.parse`: the manager's connector files.
    case connector

    /// The function that runs one input; it must return normally whatever the input.
    public var entry: @Sendable ([UInt8]) -> Void {
        switch self {
        case .manifest: return fuzzManifest
        case .config: return fuzzConfig
        case .protocol: return fuzzProtocol
        case .awsResponse: return fuzzAWSResponse
        case .sigv4: return fuzzSigV4
        case .pipeline: return fuzzPipeline
        case .connector: return fuzzConnector
        }
    }

    /// The libFuzzer executable that fuzzes this target (and replays inputs when built without `-DFUZZING`).
    public var product: String {
        switch self {
        case .manifest: return "ManifestFuzzer"
        case .config: return "ConfigFuzzer"
        case .protocol: return "ProtocolFuzzer"
        case .awsResponse: return "AWSResponseFuzzer"
        case .sigv4: return "SigV4Fuzzer"
        case .pipeline: return "PipelineFuzzer"
        case .connector: return "ConnectorFuzzer"
        }
    }
}

/// Fails the run (libFuzzer reports it as a crash) when a property every input must keep does not hold.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("fuzz property violated: \(message())", file: file, line: line) }
}

/// Splits `bytes` at the first NUL: the part before it (nil when there is none) and the rest.
func splitAtNUL(_ bytes: ArraySlice<UInt8>) -> (head: ArraySlice<UInt8>?, rest: ArraySlice<UInt8>) {
    guard let nul = bytes.firstIndex(of: 0) else { return (nil, bytes) }
    return (bytes[..<nul], bytes[(nul + 1)...])
}

/// `bytes` as text, invalid UTF-8 repaired as the daemon's readers do.
func text<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    String(decoding: bytes, as: UTF8.self)
}

/// Checks that `value` serializes to JSON that parses back to the same text (what is sent is what was meant).
func checkJSONRoundTrip(_ value: JSONValue, _ what: String) {
    let data = value.serialized()
    do {
        let again = try JSONValue(parsing: data)
        fuzzCheck(again.serialized() == data, "\(what) changes when its JSON is read back: \(text(data).prefix(300))")
    } catch {
        fuzzCheck(false, "\(what) serializes to JSON that does not parse (\(error)): \(text(data).prefix(300))")
    }
}
