import Digests
import Foundation

/// Byte-level builders for the signer's hot path: the canonical request and the
/// string to sign are assembled in one `[UInt8]` each instead of many small strings.
enum CanonicalBytes {
    static let newline: UInt8 = 0x0A

    /// Appends the UTF-8 of `s`.
    @inline(__always)
    static func append(_ s: String, to out: inout [UInt8]) {
        out.append(contentsOf: s.utf8)
    }

    /// Appends lowercase hex of `bytes`.
    static func appendHex(_ bytes: [UInt8], to out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { appendHex($0, to: &out) }
    }

    /// Appends lowercase hex of `bytes` (written on the stack, appended once).
    static func appendHex(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count * 2) { hex in
            let n = HexEncoding.write(bytes, into: hex)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: hex[..<n]))
        }
    }

    /// `yyyyMMdd'T'HHmmss'Z'` as bytes.
    static func amzDate(_ date: Date) -> [UInt8] {
        let (y, mo, d, h, mi, s) = SigV4.civilFields(date)
        var out = [UInt8](repeating: 0, count: 16)
        func put(_ v: Int, _ at: Int, _ width: Int) {
            var v = v
            var i = at + width - 1
            while i >= at {
                out[i] = UInt8(0x30 + v % 10)
                v /= 10
                i -= 1
            }
        }
        put(y, 0, 4); put(mo, 4, 2); put(d, 6, 2)
        out[8] = 0x54  // T
        put(h, 9, 2); put(mi, 11, 2); put(s, 13, 2)
        out[15] = 0x5A  // Z
        return out
    }

    /// Whether the path needs neither normalization nor encoding (e.g. `/`).
    static func isPlainPath(_ path: String) -> Bool {
        var previous: UInt8 = 0
        var count = 0
        for c in path.utf8 {
            count += 1
            if c == 0x2F {
                if previous == 0x2F { return false }
            } else if c == 0x2E {
                if previous == 0x2F || previous == 0x2E { return false }
            } else if !SigV4.isUnreserved(c) {
                return false
            }
            previous = c
        }
        return count > 0 && path.utf8.first == 0x2F
    }

    private struct Entry {
        var nameStart: Int
        var nameEnd: Int
        var valueStart: Int
        var valueEnd: Int
        var order: Int
    }

    private static let unsignedNames: [[UInt8]] = SigV4.unsignedHeaderNames.map { Array($0.utf8) }

    /// Runs `body` over the UTF-8 bytes of `s` without copying native strings.
    @inline(__always)
    static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        let copy = Array(s.utf8)
        return copy.withUnsafeBufferPointer(body)
    }

    /// Writes one lowercased name and folded value into `buf` at `used` (skipped for unsigned names).
    private static func addEntry(
        _ name: String, _ value: String, _ buf: UnsafeMutableBufferPointer<UInt8>,
        _ used: inout Int, _ entries: inout [Entry], _ order: inout Int
    ) {
        guard let out = buf.baseAddress else { return }
        var at = used
        let nameStart = at
        withBytes(name) { n in
            for c in n {
                out[at] = c >= 0x41 && c <= 0x5A ? c + 32 : c
                at += 1
            }
        }
        let nameLength = at - nameStart
        for u in unsignedNames where u.count == nameLength {
            var same = true
            for i in 0..<nameLength where u[i] != out[nameStart + i] {
                same = false
                break
            }
            if same { return }
        }
        let valueStart = at
        withBytes(value) { v in
            var pendingSpace = false
            for c in v {
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                    pendingSpace = at > valueStart
                } else {
                    if pendingSpace {
                        out[at] = 0x20
                        at += 1
                        pendingSpace = false
                    }
                    out[at] = c
                    at += 1
                }
            }
        }
        entries.append(Entry(nameStart: nameStart, nameEnd: valueStart, valueStart: valueStart, valueEnd: at, order: order))
        order += 1
        used = at
    }

    /// Appends the canonical headers block of `first + second` to `out` and the
    /// signed-headers list to `signed`.
    static func appendCanonicalHeaders(
        _ first: [(name: String, value: String)], _ second: [(name: String, value: String)],
        to out: inout [UInt8], signed: inout [UInt8]
    ) {
        var capacity = 0
        for h in first { capacity += h.name.utf8.count + h.value.utf8.count }
        for h in second { capacity += h.name.utf8.count + h.value.utf8.count }
        var entries: [Entry] = []
        entries.reserveCapacity(first.count + second.count)
        var order = 0
        let scratch = [UInt8](unsafeUninitializedCapacity: max(capacity, 1)) { buf, count in
            var used = 0
            for h in first { addEntry(h.name, h.value, buf, &used, &entries, &order) }
            for h in second { addEntry(h.name, h.value, buf, &used, &entries, &order) }
            count = used
        }
        scratch.withUnsafeBufferPointer { s in
            guard let base = s.baseAddress else { return }
            @inline(__always) func compareNames(_ a: Entry, _ b: Entry) -> Int32 {
                let la = a.nameEnd - a.nameStart, lb = b.nameEnd - b.nameStart
                let c = memcmp(base + a.nameStart, base + b.nameStart, min(la, lb))
                if c != 0 { return c }
                return la == lb ? 0 : (la < lb ? -1 : 1)
            }
            // Insertion sort: stable (repeated headers keep their order) and quick for a few headers.
            var i = 1
            while i < entries.count {
                let x = entries[i]
                var j = i - 1
                while j >= 0 && compareNames(x, entries[j]) < 0 {
                    entries[j + 1] = entries[j]
                    j -= 1
                }
                entries[j + 1] = x
                i += 1
            }
            var previous: Entry?
            for e in entries {
                let name = UnsafeBufferPointer(start: base + e.nameStart, count: e.nameEnd - e.nameStart)
                let value = UnsafeBufferPointer(start: base + e.valueStart, count: e.valueEnd - e.valueStart)
                if let p = previous, compareNames(p, e) == 0 {
                    out.append(0x2C)  // ,
                    out.append(contentsOf: value)
                    continue
                }
                if previous != nil {
                    out.append(newline)
                    signed.append(0x3B)  // ;
                }
                out.append(contentsOf: name)
                out.append(0x3A)  // :
                out.append(contentsOf: value)
                signed.append(contentsOf: name)
                previous = e
            }
            if previous != nil { out.append(newline) }
        }
    }
}
