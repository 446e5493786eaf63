import DelegateProtocol
import Foundation
import Registry
import StepContracts

/// `docker.validate`: `GET /v2/` with the connector's credentials (the tutorial's connector "Test").
struct RegistryValidateStep: ECSStep {
    static let type = TaskType.dockerValidate
    static let noun = "validation"
    typealias Payload = NoPayload

    /// Logs who connects, then `GET /v2/`.
    func run(_ p: NoPayload, _ run: StepRun) async throws -> [String: JSONValue] {
        let registry = try run.registry()
        let c = registry.connector
        let who = c.username.map { "as \($0)" } ?? (c.ecr != nil ? "with an ECR token (\(c.ecr?.region ?? ""))" : "anonymously")
        run.log.log("Connecting to Docker registry \(c.url) \(who)", unit: "Validate")
        try await registry.validate()
        run.log.log("Docker registry \(c.url) accepted the credentials (GET /v2/ answered 200)", unit: "Validate")
        return ["url": .string(c.url)]
    }
}

/// `docker.listTags`: every tag of `image`, across pages.
struct RegistryListTagsStep: ECSStep {
    static let type = TaskType.dockerListTags
    static let noun = "look-up"

    /// `{"image": "library/nginx"}`.
    typealias Payload = ListTagsPayload

    /// Throws unless `image` is an image name.
    func check(_ p: Payload) throws { _ = try ImageName(p.image) }

    /// Lists every page of the image's tags.
    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let registry = try run.registry()
        let name = try ImageName(p.image)
        let repository = name.repository(registryURL: registry.connector.url)
        run.log.log("Listing the tags of \(repository) in \(registry.connector.url)", unit: "Artifact")
        let tags = try await registry.tags(repository: repository)
        run.log.log("Found \(tags.count) tag(s) of \(name.displayName)", unit: "Artifact")
        return ["tags": .array(tags.map { .string($0) })]
    }
}

/// `docker.resolveDigest`: the digest of `image:tag`, and each platform's digest for a multi-arch index.
struct RegistryResolveDigestStep: ECSStep {
    static let type = TaskType.dockerResolveDigest
    static let noun = "look-up"

    /// `{"image": "library/nginx", "tag": "perl"}` (the tag may instead be written in the image: `nginx:perl`).
    typealias Payload = ResolveDigestPayload

    /// Throws unless `image` is an image name and a tag is given (as `tag` or in the image).
    func check(_ p: Payload) throws {
        let name = try ImageName(p.image)
        if let tag = p.tag {
            guard ImageName.isTag(tag) else {
                throw TaskError(code: "invalid_payload", message: "payload member 'tag' must be 1 to 128 letters, digits, '_', '.', '-' (not starting with '.' or '-')")
            }
        } else if name.tag == nil && name.digest == nil {
            throw TaskError(code: "invalid_payload", message: "payload member 'tag' is missing (or write it in the image, e.g. nginx:perl)")
        }
    }

    /// Resolves the tag (or digest) to its verified digest, logging each platform of an index.
    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let registry = try run.registry()
        let url = registry.connector.url
        let name = try ImageName(p.image)
        let reference = p.tag ?? name.tag ?? name.digest ?? ""
        let resolved = try await registry.resolve(repository: name.repository(registryURL: url), reference: reference)
        let shown = ImageName.isDigest(reference) ? "\(name.displayName)@\(reference)" : "\(name.displayName):\(reference)"
        var outputs: [String: JSONValue] = [
            "digest": .string(resolved.digest), "mediaType": .string(resolved.mediaType),
            "image": .string(name.reference(registryURL: url, digest: resolved.digest)),
        ]
        if resolved.isIndex {
            run.log.log("Resolved \(shown) to \(resolved.digest) (an index of \(resolved.platforms.count) platform(s))", unit: "Artifact")
            for p in resolved.platforms {
                run.log.log("  \(p.os)/\(p.architecture)\(p.variant.map { "/\($0)" } ?? ""): \(p.digest)", unit: "Artifact")
            }
            outputs["platforms"] = .array(resolved.platforms.map { p in
                var o: [String: JSONValue] = ["os": .string(p.os), "architecture": .string(p.architecture), "digest": .string(p.digest)]
                if let v = p.variant { o["variant"] = .string(v) }
                return .object(o)
            })
        } else {
            run.log.log("Resolved \(shown) to \(resolved.digest)", unit: "Artifact")
        }
        return outputs
    }
}
