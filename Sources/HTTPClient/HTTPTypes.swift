import Foundation

/// One HTTP request as the client sends it.
public struct HTTPClientRequest: Sendable {
    /// The method, e.g. `GET`, `POST`.
    public var method: String
    /// The absolute URL (`http://`, `https://`; for Unix sockets the host is ignored).
    public var url: String
    /// Headers in order; names are sent as given.
    public var headers: [(name: String, value: String)]
    /// The body, sent as-is (empty for none).
    public var body: Data
    /// Send over this Unix-domain socket instead of TCP.
    public var unixSocketPath: String?
    /// Overall time limit for this request; `nil` uses the client's default.
    public var timeout: Duration?
    /// Called with each chunk of the response body as it arrives; when set, the
    /// response's `body` is left empty (streaming reads such as `logs --follow`).
    public var onBodyChunk: (@Sendable (Data) -> Void)?
    /// The largest response body this request accepts, below the client's `maxResponseBytes`; a longer one fails it (`tooLarge`).
    public var maxResponseBytes: Int?
    /// libcurl's `CURLOPT_CONNECT_TO` entries, `HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT`: the connection for `HOST:PORT` goes to the
    /// other address while the URL, `Host` header and TLS server name stay the same. Checked by the caller (`ConnectToMapping`).
    public var connectTo: [String] = []

    /// Creates a request.
    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [],
        body: Data = Data(), unixSocketPath: String? = nil, timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.unixSocketPath = unixSocketPath
        self.timeout = timeout
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// One HTTP response: the final status, headers and body.
public struct HTTPClientResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Headers of the final response, in order.
    public var headers: [(name: String, value: String)]
    /// The body (empty when the request streamed it to `onBodyChunk`).
    public var body: Data
    /// The HTTP version libcurl used: 1 for HTTP/1.x, 2 for HTTP/2.
    public var httpVersion: Int

    /// Creates a response.
    public init(status: Int, headers: [(name: String, value: String)], body: Data, httpVersion: Int = 1) {
        self.status = status
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Settings shared by every request of one client.
public struct HTTPClientConfiguration: Sendable {
    /// Time limit for establishing a connection.
    public var connectTimeout: Duration = .seconds(10)
    /// Default overall time limit for a request.
    public var requestTimeout: Duration = .seconds(60)
    /// A PEM file of CA certificates to trust instead of the system store.
    public var caFile: String?
    /// A PEM client certificate (mutual TLS).
    public var clientCertificateFile: String?
    /// The client certificate's PEM private key.
    public var clientKeyFile: String?
    /// An explicit proxy URL; `nil` lets libcurl read `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`.
    public var proxy: String?
    /// Hosts that bypass the proxy (libcurl's `NO_PROXY` syntax); `nil` uses the environment.
    public var noProxy: String?
    /// The largest response body accepted; a longer one fails the request.
    public var maxResponseBytes: Int = 256 << 20
    /// Connections kept open for reuse.
    public var maxConnections: Int = 32
    /// The `User-Agent` header.
    public var userAgent: String = "ecs-delegate"

    /// The defaults.
    public init() {}
}

/// Why a request failed before a response arrived.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure.
    public enum Kind: String, Sendable, Equatable {
        case connect, timeout, cancelled, tooLarge, transport, invalidRequest, shutdown
    }

    /// The kind of failure.
    public var kind: Kind
    /// libcurl's explanation, with the URL.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Whether retrying the same request may succeed (connection-level failures).
    public var isTransient: Bool {
        switch kind {
        case .connect, .timeout, .transport: return true
        default: return false
        }
    }

    public var description: String { "HTTP \(kind.rawValue) error: \(message)" }
}

