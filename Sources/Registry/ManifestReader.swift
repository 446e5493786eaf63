import DelegateProtocol
import Digests
import Foundation
import HTTPClient

/// Turns a manifest answer into a `ResolvedManifest`: digest checked against the bytes, media type, platforms.
struct ManifestReader {
    /// The registry's URL, for errors.
    let registry: String
    /// The request, for errors ("GET /v2/x/manifests/tag").
    let request: String

    /// Reads `response`, the answer for `reference`; a `TaskError` names a digest mismatch or an unusable manifest.
    func read(_ response: HTTPClientResponse, reference: String) throws -> ResolvedManifest {
        let body = response.body
        guard body.count <= RegistryClient.maxManifestBytes else { throw invalid("the manifest is over \(RegistryClient.maxManifestBytes) bytes") }
        let digest = "sha256:" + SHA256Digest.hex(body)
        if let said = response.header("Docker-Content-Digest") {
            guard said == digest else {
                throw TaskError(code: "registry.digest_mismatch", message: "registry \(registry): \(request): digest mismatch: Docker-Content-Digest says \(RegistryFailure.quoted(String(said.prefix(100)))) but the manifest's bytes hash to \(digest); the answer is refused")
            }
        }
        if ImageName.isDigest(reference), reference != digest {
            throw TaskError(code: "registry.digest_mismatch", message: "registry \(registry): \(request): digest mismatch: asked for \(reference) but the manifest's bytes hash to \(digest); the answer is refused")
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw invalid("the manifest is not JSON")
        }
        guard json.objectValue != nil else { throw invalid("the manifest is not a JSON object") }
        let mediaType = try mediaType(response, json)
        guard ManifestMediaType.indexes.contains(mediaType) else {
            return ResolvedManifest(digest: digest, mediaType: mediaType, platforms: [])
        }
        return ResolvedManifest(digest: digest, mediaType: mediaType, platforms: try platforms(json))
    }

    /// The media type: `Content-Type` when it is a known one, else the manifest's `mediaType`; anything else is refused.
    private func mediaType(_ response: HTTPClientResponse, _ json: JSONValue) throws -> String {
        let header = response.header("Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let header, ManifestMediaType.accepted.contains(header) { return header }
        if let own = json["mediaType"]?.stringValue, ManifestMediaType.accepted.contains(own) { return own }
        // An OCI index or manifest may leave mediaType out; its shape tells.
        if json["mediaType"] == nil, json["schemaVersion"]?.intValue == 2 {
            if json["manifests"]?.arrayValue != nil { return ManifestMediaType.ociIndex }
            if json["layers"]?.arrayValue != nil { return ManifestMediaType.ociManifest }
        }
        let named = RegistryFailure.quoted(String((header ?? json["mediaType"]?.stringValue ?? "none").prefix(100)))
        throw invalid("the manifest's media type \(named) is not one the client reads (\(ManifestMediaType.accepted.joined(separator: ", ")))")
    }

    /// The platform entries of an index; entries without a platform or for `unknown/unknown` (attestations) are left out.
    private func platforms(_ json: JSONValue) throws -> [PlatformManifest] {
        guard let entries = json["manifests"]?.arrayValue else { throw invalid("the index has no manifests list") }
        guard entries.count <= RegistryClient.maxPlatforms else { throw invalid("the index lists more than \(RegistryClient.maxPlatforms) manifests") }
        var out: [PlatformManifest] = []
        for (i, entry) in entries.enumerated() {
            guard let digest = entry["digest"]?.stringValue, ImageName.isDigest(digest) else {
                throw invalid("manifests[\(i)].digest is not a sha256: digest")
            }
            guard let platform = entry["platform"], let os = platform["os"]?.stringValue, let arch = platform["architecture"]?.stringValue else { continue }
            if os == "unknown" && arch == "unknown" { continue }
            guard Self.isPlatformWord(os), Self.isPlatformWord(arch) else { throw invalid("manifests[\(i)].platform has an unreadable os or architecture") }
            let variant = platform["variant"]?.stringValue
            if let variant, !Self.isPlatformWord(variant) { throw invalid("manifests[\(i)].platform.variant is unreadable") }
            out.append(PlatformManifest(os: os, architecture: arch, variant: variant, digest: digest))
        }
        return out
    }

    /// Whether `s` is a short platform word: 1 to 64 ASCII letters, digits, `.`, `_`, `-`.
    private static func isPlatformWord(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    /// An unusable answer.
    private func invalid(_ why: String) -> TaskError {
        RegistryFailure.invalid(why, registry: registry, request: request)
    }
}
