import DelegateProtocol

/// A payload whose step renders manifests: the cluster, the `<+...>` variables and the artifact they may name, checked one way.
///
/// Rolling, canary, blue/green create and run task share these members; the
/// service deployments among them also share `ServiceManifests`.
public protocol RenderingPayload: StepPayload {
    var cluster: String { get }
    var variables: [String: JSONValue]? { get }
    var artifact: ArtifactRequest? { get }
}

extension RenderingPayload {
    /// The shared members' check: a cluster, and an artifact whose image and tag are one-line names.
    public func validateRendering() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        try artifact?.validate()
    }
}
