/// A manifest the registry answered for a tag or digest, with its verified digest.
package struct ResolvedManifest: Sendable, Equatable {
    /// `sha256:` and the hex SHA-256 of the manifest's bytes, checked against `Docker-Content-Digest`.
    package var digest: String
    /// The manifest's media type (one of `ManifestMediaType.accepted`).
    package var mediaType: String
    /// For a manifest list or OCI index: one entry per platform image; empty for a single manifest.
    package var platforms: [PlatformManifest]

    /// Creates a resolved manifest.
    package init(digest: String, mediaType: String, platforms: [PlatformManifest]) {
        self.digest = digest
        self.mediaType = mediaType
        self.platforms = platforms
    }

    /// Whether the manifest is a multi-platform index (manifest list or OCI index).
    package var isIndex: Bool { ManifestMediaType.indexes.contains(mediaType) }
}
