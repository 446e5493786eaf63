import Foundation

/// Checks on files that hold a bearer token.
public enum TokenFile {
    /// A warning when group or others may read the token file at `path`, as ssh gives for a private key; nil otherwise.
    public static func permissionWarning(path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mode = st.st_mode & 0o777
        guard mode & 0o077 != 0 else { return nil }
        return "token file \(path) is readable by group or others (mode \(String(mode, radix: 8, uppercase: false).leftPadded(to: 4))): anyone who can read it can act as this delegate; run chmod 600 \(path)"
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
