import Foundation

/// Reads the key for `serve --secrets-key-file`: 32 raw bytes or 64 hex characters, in a file only its owner may read.
public enum SecretsKeyFile {
    /// Why the key file was refused; the message says what to do.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The 32-byte key in `path`; refused unless the file is mode 0600 or stricter and holds 32 raw bytes or 64 hex characters.
    public static func load(path: String) throws(Refusal) -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw Refusal(description: "cannot read secrets key file \(path): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw Refusal(description: "secrets key file \(path) is not a regular file") }
        let mode = st.st_mode & 0o777
        guard mode & 0o177 == 0 else {
            throw Refusal(description: "secrets key file \(path) has mode \(String(mode, radix: 8)); it must be 0600 or stricter (only its owner may read it): run chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Refusal(description: "cannot read secrets key file \(path)")
        }
        if data.count == 32 { return Array(data) }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.utf8.count == 64, let key = hexBytes(text) { return key }
        throw Refusal(description: "secrets key file \(path) must hold 32 raw bytes or 64 hex characters (got \(data.count) bytes); make one with: openssl rand -hex 32 > \(path)")
    }

    /// The bytes a hex string spells, or nil when it is not hex.
    private static func hexBytes(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for u in text.utf8 {
            let v: UInt8
            switch u {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = u - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = u - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = u - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}
