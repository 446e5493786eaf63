import Foundation
import JSONValues
import Manifests

/// The variables a manifest input without its own sees (those of the tests and the tutorial).
private let defaultVariables: [String: JSONValue] = [
    "artifact": ["image": "nginx:perl", "tag": "perl"],
    "env": ["name": "prod", "replicas": 2, "debug": false],
    "service": ["name": "web"],
]

/// Renders one manifest: byte 0 picks the `ManifestKind`; an optional JSON prefix ended by NUL gives the variables.
///
/// The prefix is used as the deployment payload's `variables` when it is an
/// object, else as the value of `<+artifact.image>`. Whatever renders must
/// serialize to JSON that reads back unchanged, and a service definition must
/// also build its deployment requests.
public func fuzzManifest(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let kinds = ManifestKind.allCases
    let kind = kinds[Int(selector) % kinds.count]
    let (head, body) = splitAtNUL(bytes.dropFirst())
    var variables = defaultVariables
    if let head, let parsed = try? JSONValue(parsing: Data(head)) {
        if case .object(let o) = parsed { variables = o } else { variables["artifact"] = ["image": parsed] }
    }
    let renderer = ManifestRenderer(variables: variables)
    do {
        let rendered = try renderer.render(text(body), file: "fuzz.yaml", kind: kind)
        checkJSONRoundTrip(rendered.body, "the rendered \(kind.rawValue)")
        _ = rendered.notes.joined(separator: "\n")
        if kind == .serviceDefinition {
            let requests = DeploymentRequests(taskDefinition: .emptyObject, service: rendered.body, cluster: "fuzz")
            checkJSONRoundTrip(requests.asJSON, "the deployment requests")
        }
    } catch let e as ManifestErrors {
        fuzzCheck(!e.errors.isEmpty, "render threw ManifestErrors without an error")
        _ = e.description
    } catch {
        _ = "\(error)"
    }
}
