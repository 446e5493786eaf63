/// `elb.listListeners`'s payload: the load balancer whose listeners are listed.
public struct ListListenersPayload: StepPayload, Equatable {
    public var loadBalancerArn: String

    /// Creates a payload.
    public init(loadBalancerArn: String) { self.loadBalancerArn = loadBalancerArn }

    public func validate() throws(PayloadProblem) { try PayloadCheck.nonEmpty(loadBalancerArn, "loadBalancerArn") }
}

/// `elb.listListenerRules`'s payload: the listener whose rules are listed.
public struct ListListenerRulesPayload: StepPayload, Equatable {
    public var listenerArn: String

    /// Creates a payload.
    public init(listenerArn: String) { self.listenerArn = listenerArn }

    public func validate() throws(PayloadProblem) { try PayloadCheck.nonEmpty(listenerArn, "listenerArn") }
}

/// `docker.listTags`'s payload: an image in the task's registry (the step checks it is an image name).
public struct ListTagsPayload: StepPayload, Equatable {
    public var image: String

    /// Creates a payload.
    public init(image: String) { self.image = image }
}

/// `docker.resolveDigest`'s payload: an image and the tag to resolve (as `tag` or in the image; the step checks both).
public struct ResolveDigestPayload: StepPayload, Equatable {
    public var image: String
    public var tag: String?

    /// Creates a payload.
    public init(image: String, tag: String? = nil) {
        self.image = image
        self.tag = tag
    }
}
