import HTTPClient

/// What one `verify.http` probe got: an answer (its status, and whether its body matched), or why there was none.
package enum HTTPProbeOutcome: Equatable, Sendable {
    /// An answer with `status`; `bodyMatched` is nil when no body pattern was asked for.
    case answered(status: Int, bodyMatched: Bool?)
    /// No answer: `connection refused`, `timed out after 5 s`, ...
    case failed(String)

    /// The failure a probe's `HTTPClientError` stands for, in a few words (libcurl's detail without the URL); `timeoutSeconds` is the probe's limit.
    package init(_ error: HTTPClientError, timeoutSeconds: Int) {
        // The client's message is "METHOD URL: detail", and a URL holds no white space.
        let detail = error.message.range(of: ": ").map { String(error.message[$0.upperBound...]) } ?? error.message
        let lowered = detail.lowercased()
        switch error.kind {
        case .timeout:
            self = .failed("timed out after \(timeoutSeconds) s")
        case .connect where lowered.contains("connection refused"):
            self = .failed("connection refused")
        case .connect where lowered.contains("resolve"):
            self = .failed("could not resolve the host")
        case .connect:
            self = .failed("could not connect: \(detail)")
        default:
            self = .failed(detail.isEmpty ? error.kind.rawValue : detail)
        }
    }
}
