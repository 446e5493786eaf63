/// One platform's image in a manifest list or OCI index.
package struct PlatformManifest: Sendable, Equatable {
    /// The operating system, e.g. `linux`.
    package var os: String
    /// The CPU architecture, e.g. `amd64`, `arm64`.
    package var architecture: String
    /// The CPU variant, e.g. `v8`, if given.
    package var variant: String?
    /// The digest of that platform's manifest.
    package var digest: String

    /// Creates an entry.
    package init(os: String, architecture: String, variant: String?, digest: String) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.digest = digest
    }
}
