import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: name, text and child elements (attributes are not kept).
public struct XMLTree: Sendable, Equatable {
    /// The element's local name (namespace prefix removed).
    public var name: String
    /// The element's own text, trimmed.
    public var text: String
    /// Child elements in order.
    public var children: [XMLTree]

    /// Creates an element.
    public init(name: String, text: String = "", children: [XMLTree] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// Parses a document and returns its root element.
    ///
    /// Whoever answers (a connector may name any endpoint) must not be able to
    /// stop the delegate, and FoundationXML stops the process on two inputs
    /// libxml2 accepts, so neither reaches it: the body is read as UTF-8, what
    /// every AWS service sends, with invalid sequences replaced (an element
    /// name that is not UTF-8, `<a\xff>`, traps), and a document holding a
    /// processing instruction is refused (one without data, `<?x?>`, is read
    /// through a null pointer); AWS sends none besides the XML declaration.
    public static func parse(_ data: Data) throws -> XMLTree {
        let bytes = Array(String(decoding: data, as: UTF8.self).utf8)
        if containsProcessingInstruction(bytes) {
            throw AWSClientError(.invalidResponse, "the response is not AWS XML: it holds a processing instruction (<?...?>) after the XML declaration")
        }
        let builder = Builder()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        guard parser.parse(), let root = builder.root else {
            throw AWSClientError(.invalidResponse, "the response is not valid XML: \(parser.parserError.map { "\($0)" } ?? "no root element")")
        }
        return root
    }

    /// Whether `bytes` hold `<?` anywhere but at the very start, as `<?xml ` (after an optional BOM): the XML declaration.
    static func containsProcessingInstruction(_ bytes: [UInt8]) -> Bool {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        var start = bytes.starts(with: bom) ? bom.count : 0
        let declaration = Array("<?xml".utf8)
        if bytes[start...].starts(with: declaration), start + declaration.count < bytes.count,
            [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start + declaration.count]) {
            start += declaration.count
        }
        return bytes[start...].firstRange(of: Array("<?".utf8)) != nil
    }

    /// The first child named `name`.
    public func child(_ name: String) -> XMLTree? {
        children.first { $0.name == name }
    }

    /// The first element named `name` at any depth (depth-first, this element included).
    public func find(_ name: String) -> XMLTree? {
        if self.name == name { return self }
        for c in children {
            if let hit = c.find(name) { return hit }
        }
        return nil
    }

    /// The text of the child named `name`.
    public func string(_ name: String) -> String? {
        child(name)?.text
    }

    /// A JSON view of the element: `member`/`entry` lists become arrays, elements
    /// with children become objects, leaves become strings (`null` when empty).
    public var jsonValue: JSONValue {
        if children.isEmpty { return text.isEmpty ? .null : .string(text) }
        if children.allSatisfy({ $0.name == "member" || $0.name == "item" }) {
            return .array(children.map(\.jsonValue))
        }
        if children.allSatisfy({ $0.name == "entry" }) {
            var o: [String: JSONValue] = [:]
            for e in children {
                if let k = e.string("key") ?? e.string("Key") { o[k] = (e.child("value") ?? e.child("Value"))?.jsonValue ?? .null }
            }
            return .object(o)
        }
        var counts: [String: Int] = [:]
        for c in children { counts[c.name, default: 0] += 1 }
        var o: [String: JSONValue] = [:]
        for c in children {
            let v = c.jsonValue
            if (counts[c.name] ?? 0) > 1 {
                if case .array(var a) = o[c.name] ?? .array([]) {
                    a.append(v)
                    o[c.name] = .array(a)
                }
            } else {
                o[c.name] = v
            }
        }
        return .object(o)
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            stack.append(XMLTree(name: local))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard var done = stack.popLast() else { return }
            done.text = done.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if stack.isEmpty {
                root = done
            } else {
                stack[stack.count - 1].children.append(done)
            }
        }
    }
}
