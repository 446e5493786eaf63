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
    /// The body is read as UTF-8, what every AWS service sends, with invalid
    /// sequences replaced before libxml2 sees it: FoundationXML traps on an
    /// element name that is not UTF-8 (`<a\xff>`), and whoever answers (a
    /// connector may name any endpoint) must not be able to stop the delegate.
    public static func parse(_ data: Data) throws -> XMLTree {
        let builder = Builder()
        let parser = XMLParser(data: Data(String(decoding: data, as: UTF8.self).utf8))
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        guard parser.parse(), let root = builder.root else {
            throw AWSClientError(.invalidResponse, "the response is not valid XML: \(parser.parserError.map { "\($0)" } ?? "no root element")")
        }
        return root
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
