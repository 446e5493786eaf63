import ArgumentParser
import DelegateProtocol
import Foundation
import JSONValues
import YAMLSupport

/// How a read command prints: an aligned table with headers (the default), a wider table, JSON or YAML.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, wide, json, yaml
}

/// `-o table|wide|json|yaml`, which every read command takes (kubectl's and argocd's habit).
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Output format: table (default), wide (more columns), json or yaml.") var output: OutputFormat = .table
    @Flag(name: .customLong("json"), help: .hidden) var json = false

    /// The format asked for (`--json`, the older spelling, is `-o json`).
    var format: OutputFormat { json ? .json : output }

    /// Prints `value` as JSON or YAML, or `table()` for the table formats.
    func print<T: Encodable>(_ value: T, table: () -> Table) throws {
        switch format {
        case .json: printJSON(value)
        case .yaml: Swift.print(try yamlText(value), terminator: "")
        case .table: Swift.print(table().render(wide: false), terminator: "")
        case .wide: Swift.print(table().render(wide: true), terminator: "")
        }
    }
}

/// `value` as the YAML `-o yaml` prints: the JSON document, in YAML.
func yamlText<T: Encodable>(_ value: T) throws -> String {
    let data = try ProtocolV1.encoder().encode(value)
    return try YAMLEmitter.emit(try JSONDecoder().decode(JSONValue.self, from: data))
}

/// Rows under headers, aligned in columns; some columns only in `-o wide`.
struct Table: Sendable {
    /// A column: its header, and whether only the wide table shows it.
    struct Column: Sendable {
        var header: String
        var wideOnly = false
    }

    var columns: [Column]
    var rows: [[String]]
    /// What the rows are, plural, for the line an empty table prints ("No tasks found.").
    var noun: String

    /// A table of `rows` under `columns`.
    init(_ noun: String, columns: [Column], rows: [[String]]) {
        self.noun = noun
        self.columns = columns
        self.rows = rows
    }

    /// The text: a header line and one line per row, columns two spaces apart; an empty table says so.
    func render(wide: Bool) -> String {
        if rows.isEmpty { return "No \(noun) found.\n" }
        let shown = columns.indices.filter { wide || !columns[$0].wideOnly }
        let cells = [shown.map { columns[$0].header }] + rows.map { row in shown.map { $0 < row.count ? Self.oneLine(row[$0]) : "" } }
        var widths = Array(repeating: 0, count: shown.count)
        for line in cells { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for line in cells {
            var text = ""
            for (i, cell) in line.enumerated() {
                if i == line.count - 1 {
                    text += cell
                } else {
                    text += cell + String(repeating: " ", count: widths[i] - cell.count + 2)
                }
            }
            while text.hasSuffix(" ") { text.removeLast() }
            out += text + "\n"
        }
        return out
    }

    /// A cell on one line: line breaks and tabs become spaces, control characters are dropped.
    static func oneLine(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.compactMap { c -> Unicode.Scalar? in
            if c == "\n" || c == "\r" || c == "\t" { return " " }
            return c.properties.generalCategory == .control ? nil : c
        }))
    }
}
