import DelegateProtocol
import Foundation
import Manifests
import YAMLSupport
import Yams

/// A pipeline as its file describes it: one service, one connector, and its steps (a `strategy:` shorthand, or a `steps:` list).
///
/// ```yaml
/// pipeline: myapp-rolling
/// connector: aws-prod
/// cluster: ecs-tutorial
/// artifact: {image: nginx:perl}     # or {connector: docker-hub, image: library/nginx, tag: perl} (see PipelineArtifact)
/// manifests:
///   taskDefinition: {path: manifests/td.yaml}
///   serviceDefinition: {path: manifests/svc.yaml}
/// strategy: {type: rolling}        # or steps: [{type: rollingDeploy}, ...] (see PipelineStep)
/// variables: {}
/// timeoutSeconds: 900
/// ```
public struct PipelineFile: Sendable, Equatable {
    /// The pipeline's name.
    public var name: String
    /// The stored connector the pipeline's tasks use (it selects the delegates).
    public var connector: String
    public var cluster: String
    /// `artifact.image` and friends, for `<+artifact.image>`.
    public var artifact: [String: JSONValue]
    /// The artifact as a registry image, when `artifact.connector` names a stored connector; the delegate resolves it.
    public var artifactSource: PipelineArtifact?
    /// Manifest references, each already in the delegate's reference form (`{"store": "inline", "path", "content"}` for a path).
    public var manifests: [String: JSONValue]
    /// The strategy the file names (nil when it lists `steps:`).
    public var strategy: PipelineStrategy?
    /// The steps in order: the file's `steps:`, or what its strategy is shorthand for.
    public var steps: [PipelineStep]
    /// More values for `<+...>` expressions.
    public var variables: [String: JSONValue]
    /// The time limit of each step's task.
    public var timeoutSeconds: Int

    /// The keys a pipeline file may hold.
    static let keys = ["pipeline", "connector", "cluster", "artifact", "manifests", "strategy", "steps", "variables", "timeoutSeconds"]
    /// The manifest references a pipeline may name.
    static let manifestKeys = ["taskDefinition", "serviceDefinition", "scalableTargets", "scalingPolicies", "runTaskRequest"]

    /// Reads `text` (from `file`; manifest paths are relative to `baseDirectory`), with every problem as `file:line:column`.
    ///
    /// `overrides` are `--var a.b=value` assignments, applied to `variables` (and `artifact.*`).
    public static func parse(_ text: String, file: String, baseDirectory: String, overrides: [String: String] = [:]) throws -> PipelineFile {
        let limits = ManifestLimits.standard
        var reader = YAMLReader(file: file)
        let root: Node?
        do {
            if text.utf8.count > limits.maxBytes { throw ManifestErrors(errors: [ManifestError(file: file, message: "the pipeline file is \(text.utf8.count) bytes; the limit is \(limits.maxBytes) bytes")]) }
            try YAMLExpansion.check(text, maxNodes: limits.maxNodes, maxDepth: limits.maxDepth)
            root = try YAMLValues.compose(text)
        } catch let e as YamlError {
            throw ManifestErrors(errors: [reader.syntaxError(e)])
        } catch let p as YAMLExpansion.Problem {
            throw ManifestErrors(errors: [ManifestError(file: file, line: p.line, column: p.column, message: p.message)])
        }
        guard let root, let top = reader.mapping(root, path: "", allowed: keys) else {
            reader.fail(root, "", "a pipeline file must be a mapping of keys to values")
            throw ManifestErrors(errors: reader.errors)
        }
        let name = reader.string(top["pipeline"], root, "pipeline", required: true, identifier: true)
        let connector = reader.string(top["connector"], root, "connector", required: true, identifier: true)
        let cluster = reader.string(top["cluster"], root, "cluster", required: true)
        var artifact = reader.values(top["artifact"], "artifact")
        var artifactSource = top["artifact"].flatMap { reader.artifact($0) }
        var variables = reader.values(top["variables"], "variables")
        let timeout = reader.integer(top["timeoutSeconds"], "timeoutSeconds", in: TaskEnvelope.timeoutRange) ?? 1800
        var manifests: [String: JSONValue] = [:]
        if let m = top["manifests"].flatMap({ reader.mapping($0, path: "manifests", allowed: manifestKeys) }) {
            for (key, node) in m {
                let path = "manifests.\(key)"
                if key == "scalableTargets" || key == "scalingPolicies" {
                    guard let list = node.sequence else { reader.fail(node, path, "expected a list of manifest references"); continue }
                    manifests[key] = .array(list.enumerated().compactMap { reader.manifestRef($1, "\(path)[\($0)]", baseDirectory: baseDirectory) })
                } else if let ref = reader.manifestRef(node, path, baseDirectory: baseDirectory) {
                    manifests[key] = ref
                }
            }
        } else if top["manifests"] == nil {
            reader.fail(root, "", "missing required key 'manifests'")
        }
        let strategy = top["strategy"].flatMap { reader.strategy($0) }
        let listed = top["steps"].flatMap { reader.steps($0) }
        switch (top["strategy"], top["steps"]) {
        case (nil, nil): reader.fail(root, "", "missing required key 'strategy' (or a 'steps' list)")
        case (.some, .some): reader.fail(top["steps"], "steps", "give either 'strategy' or 'steps', not both")
        default: break
        }
        for (assignment, value) in overrides.sorted(by: { $0.key < $1.key }) {
            let parts = assignment.split(separator: ".").map(String.init)
            guard let first = parts.first, !parts.contains(where: \.isEmpty) else {
                reader.errors.append(ManifestError(file: "--var", message: "'\(assignment)' is not a dotted name"))
                continue
            }
            if first == "artifact", parts.count == 2 {
                if artifactSource != nil, PipelineArtifact.keys.contains(parts[1]) {
                    // The registry image and tag may be chosen per run (a CI job passes the tag it built); not the connector or the pinning.
                    switch parts[1] {
                    case "tag" where Identifiers.textProblem(value, maxBytes: 128) == nil: artifactSource?.tag = value
                    case "image" where Identifiers.textProblem(value, maxBytes: 255) == nil: artifactSource?.image = value
                    default:
                        reader.errors.append(ManifestError(file: "--var", message: "'\(assignment)': only artifact.image and artifact.tag (non-empty, one line) may be set per run; change artifact.\(parts[1]) in the pipeline file"))
                        continue
                    }
                }
                artifact[parts[1]] = .string(value)
            } else {
                variables.set(parts, .string(value))
            }
        }
        if let strategy { reader.requireManifests(for: strategy, manifests, root) }
        if let listed { reader.requireManifests(for: listed, manifests, root) }
        guard reader.errors.isEmpty, let steps = strategy?.steps ?? listed else {
            throw ManifestErrors(errors: reader.errors.sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) })
        }
        return PipelineFile(
            name: name, connector: connector, cluster: cluster, artifact: artifact, artifactSource: artifactSource, manifests: manifests,
            strategy: strategy, steps: steps, variables: variables, timeoutSeconds: timeout)
    }

    /// The values `<+...>` expressions see: `variables` with `artifact` beside them.
    public var expressionVariables: [String: JSONValue] {
        var v = variables
        if !artifact.isEmpty { v["artifact"] = .object(artifact) }
        return v
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Sets a nested member, creating objects on the way.
    mutating func set(_ path: [String], _ value: JSONValue) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var inner = self[first]?.objectValue ?? [:]
        inner.set(Array(path.dropFirst()), value)
        self[first] = .object(inner)
    }
}
