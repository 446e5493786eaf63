import DelegateProtocol

/// Resolves `<+steps.ID.NAME>` and `<+blueGreen.NAME>` in a step's own payload from the outputs of the steps that ran before it.
///
/// `ID` is a step's id as the pipeline file gives it (or its default, e.g.
/// `bluegreen-create`); `blueGreen` is the last blue/green create that ran.
/// So a verify step can probe `<+blueGreen.stageUrl>`. Other expressions
/// (`<+artifact.image>`, variables) are left for the delegate's manifest rendering.
struct StepExpressions {
    /// The outputs of a step that ran, by its id in the plan.
    let outputs: (String) -> [String: JSONValue]?
    /// The plan's pipeline name: a plan id is `PIPELINE/ID`.
    let pipeline: String
    /// The outputs of the last blue/green create that ran, if any.
    let blueGreen: [String: JSONValue]?

    /// An expression that names nothing that ran.
    struct Problem: Error, Equatable {
        let message: String
    }

    /// The longest a string may grow to once its expressions are resolved (outputs are bounded, but a string may name many).
    static let maxResolvedBytes = 64 << 10

    /// The expression prefixes resolved here.
    static let prefixes = ["<+steps.", "<+blueGreen."]

    /// `value` with every expression of ours in its strings replaced.
    func resolve(_ value: JSONValue) throws(Problem) -> JSONValue {
        switch value {
        case .string(let s) where Self.prefixes.contains(where: s.contains):
            return .string(try resolve(s))
        case .array(let items):
            var out: [JSONValue] = []
            for item in items { out.append(try resolve(item)) }
            return .array(out)
        case .object(let members):
            var out: [String: JSONValue] = [:]
            // In key order: the first problem reported is always the same one.
            for (k, v) in members.sorted(by: { $0.key < $1.key }) { out[k] = try resolve(v) }
            return .object(out)
        default:
            return value
        }
    }

    /// `text` with each `<+steps.ID.NAME>` and `<+blueGreen.NAME>` replaced by the output's value.
    func resolve(_ text: String) throws(Problem) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = Self.prefixes.compactMap({ rest.range(of: $0)?.lowerBound }).min() {
            out += rest[..<start]
            guard let end = rest[start...].firstIndex(of: ">") else { throw Problem(message: "'\(rest[start...].prefix(80))' is not closed with '>'") }
            let expression = String(rest[rest.index(start, offsetBy: 2)..<end])
            out += try value(of: expression)
            if out.utf8.count > Self.maxResolvedBytes {
                throw Problem(message: "its expressions resolve to more than \(Self.maxResolvedBytes) bytes; name fewer or smaller outputs")
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    /// The value `expression` (`steps.ID.NAME` or `blueGreen.NAME`, without `<+` and `>`) names, as text.
    func value(of expression: String) throws(Problem) -> String {
        let parts = expression.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let found: [String: JSONValue]?
        let name: String
        if parts.first == "blueGreen", parts.count == 2 {
            guard let blueGreen else { throw Problem(message: "<+\(expression)> names the outputs of a blue/green create, and none ran before this step") }
            found = blueGreen
            name = parts[1]
        } else if parts.first == "steps", parts.count == 3 {
            guard let o = outputs("\(pipeline)/\(parts[1])") ?? outputs(parts[1]) else {
                throw Problem(message: "<+\(expression)> names step '\(parts[1])', which did not run before this step")
            }
            found = o
            name = parts[2]
        } else {
            throw Problem(message: "<+\(expression)> is not of the form <+steps.ID.NAME> or <+blueGreen.NAME>")
        }
        switch found?[name] {
        case .string(let s)?: return s
        case .number?, .bool?: return found?[name]?.jsonString ?? ""
        case nil, .null?: throw Problem(message: "<+\(expression)>: the step has no output '\(name)' (it has \((found ?? [:]).keys.sorted().joined(separator: ", ")))")
        case let other?: return other.jsonString
        }
    }
}
