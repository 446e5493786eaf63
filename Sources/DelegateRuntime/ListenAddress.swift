/// A TCP address to listen on, `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`), as a configuration gives it.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host name or address, without brackets.
    public var host: String
    /// The port, 1 to 65535.
    public var port: Int

    /// Parses `HOST:PORT`; nil when the host is empty or longer than 253 bytes, or the port is not 1 to 65535.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let digits = text[text.index(after: colon)...]
        guard !host.isEmpty, host.utf8.count <= 253, !host.contains(where: { $0 == "/" || $0 == " " || $0.isNewline }),
              !digits.isEmpty, digits.count <= 5, digits.allSatisfy(\.isASCII), let port = Int(digits), (1...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
