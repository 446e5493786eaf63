import Foundation

/// The check ssh makes on private keys, as a warning: a token file should be readable by its owner only.
enum TokenFilePermissions {
    /// A warning when group or others may read `path`, else nil.
    static func warning(path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mode = st.st_mode & 0o777
        guard mode & 0o077 != 0 else { return nil }
        return "token file \(path) is accessible by group or others (mode \(String(mode, radix: 8))); run: chmod 600 \(path)"
    }
}
