/// A TCP address to listen on, `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`), as a configuration gives it.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host name or address, without brackets.
    public var host: String
    /// The port, 1 to 65535 (0, "any free port", where the caller's range allows it).
    public var port: Int

    /// Parses `HOST:PORT`; nil when the host is empty or longer than 253 bytes, or the port is not in `ports` (default 1 to 65535).
    ///
    /// The one parser of listen addresses: the delegate's `metrics_listen`, the manager's `--listen` (port 0 allowed) and `--metrics-listen`.
    public init?(_ text: String, ports: ClosedRange<Int> = 1...65535) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let digits = text[text.index(after: colon)...]
        guard !host.isEmpty, host.utf8.count <= 253, !host.contains(where: { $0 == "/" || $0 == " " || $0.isNewline }),
              !digits.isEmpty, digits.count <= 5, digits.allSatisfy(\.isASCII), let port = Int(digits), ports.contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    /// An address of `host` (without brackets) and `port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
