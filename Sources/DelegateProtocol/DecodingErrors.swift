import Foundation

/// A one-line, user-facing explanation of a decoding error that names the member's path.
public func describe(_ error: DecodingError) -> String {
    func path(_ codingPath: [CodingKey]) -> String {
        let p = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "the top level" : String(p.drop(while: { $0 == "." }))
    }
    switch error {
    case .keyNotFound(let key, let ctx):
        return "missing required member '\(path(ctx.codingPath + [key]))'"
    case .typeMismatch(let type, let ctx):
        return "member '\(path(ctx.codingPath))' has the wrong type: expected \(type)"
    case .valueNotFound(let type, let ctx):
        return "member '\(path(ctx.codingPath))' is null: expected \(type)"
    case .dataCorrupted(let ctx) where !ctx.codingPath.isEmpty:
        // The text parsed; one member's value did not fit its type (a number out of range, an unknown enum value, a bad date).
        if ctx.debugDescription.hasPrefix("Number ") || ctx.debugDescription.contains("not representable") {
            return "member '\(path(ctx.codingPath))' is out of range: \(ctx.debugDescription)"
        }
        return "member '\(path(ctx.codingPath))' has an invalid value: \(ctx.debugDescription)"
    case .dataCorrupted(let ctx):
        let under = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return "invalid JSON at \(path(ctx.codingPath)): \(under ?? ctx.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}

/// Like `describe(_:)`, and names the member when the decoder lost its path.
///
/// Foundation's JSONDecoder reports a number that does not fit its member
/// (`"timeoutSeconds": 1e20` for an `Int`) as "not valid JSON" at the top
/// level. When that happens and `data` is well-formed JSON, each number that
/// is not an exact 64-bit integer is replaced by 0 in turn; the one whose
/// replacement makes the decode succeed (or fail differently) is named.
public func describe<T: Decodable>(_ error: DecodingError, decoding type: T.Type, from data: Data, with decoder: JSONDecoder) -> String {
    // Each retry is a decode: bounded, so a hostile body cannot turn one request into seconds of work.
    guard case .dataCorrupted(let ctx) = error, ctx.codingPath.isEmpty, data.count <= 1 << 20,
          (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
    else { return describe(error) }
    let bytes = Array(data)
    for number in JSONNumberScan.inexactNumbers(in: bytes).prefix(16) {
        var patched = bytes
        patched.replaceSubrange(number.range, with: [UInt8(ascii: "0")])
        do {
            _ = try decoder.decode(T.self, from: Data(patched))
        } catch let e as DecodingError {
            if case .dataCorrupted(let c) = e, c.codingPath.isEmpty { continue }
        } catch {}
        let text = String(decoding: bytes[number.range], as: UTF8.self)
        return "member '\(number.path)' is out of range: \(text) does not fit (expected an integer)"
    }
    return describe(error)
}

/// Finds the numbers in a JSON text that are not exact 64-bit integers, with their member paths.
fileprivate enum JSONNumberScan {
    /// A number token: where it is in the text and the member it is the value of (e.g. `lines[2].seq`).
    struct Number {
        var range: Range<Int>
        var path: String
    }

    /// One open container while scanning: an object (with its current key) or an array (with its current index).
    private enum Level {
        case object(key: String)
        case array(index: Int)
    }

    /// The number tokens of `bytes` that have a fraction, an exponent, or more digits than fit in 64 bits, shallowest first.
    static func inexactNumbers(in bytes: [UInt8]) -> [Number] {
        var found: [(depth: Int, number: Number)] = []
        var stack: [Level] = []
        var i = 0
        var expectingKey = false
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                var j = i + 1
                while j < bytes.count && bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
                if expectingKey, case .object = stack.last {
                    stack[stack.count - 1] = .object(key: String(decoding: bytes[(i + 1)..<min(j, bytes.count)], as: UTF8.self))
                    expectingKey = false
                }
                i = j + 1
                continue
            case UInt8(ascii: "{"):
                stack.append(.object(key: ""))
                expectingKey = true
            case UInt8(ascii: "["):
                stack.append(.array(index: 0))
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if case .array(let n) = stack.last { stack[stack.count - 1] = .array(index: n + 1) } else { expectingKey = true }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var j = i
                while j < bytes.count, isNumberByte(bytes[j]) { j += 1 }
                let token = String(decoding: bytes[i..<j], as: UTF8.self)
                if Int64(token) == nil {
                    found.append((stack.count, Number(range: i..<j, path: path(stack))))
                }
                i = j
                continue
            default:
                break
            }
            i += 1
        }
        return found.sorted { $0.depth < $1.depth }.map(\.number)
    }

    /// Whether `b` can be part of a JSON number token.
    private static func isNumberByte(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    /// The member path of the innermost value, e.g. `lines[2].seq`.
    private static func path(_ stack: [Level]) -> String {
        var p = ""
        for level in stack {
            switch level {
            case .object(let key): p += p.isEmpty ? key : ".\(key)"
            case .array(let n): p += "[\(n)]"
            }
        }
        return p.isEmpty ? "the top level" : p
    }
}
