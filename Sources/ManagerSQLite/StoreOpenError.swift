import Foundation
import ManagerCore

/// The manager's data directory or database could not be opened; says which path and why, in plain words.
public struct StoreOpenError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension ManagerStore {
    /// Opens (creating) `manager.sqlite` in `directory`, creating the directory; errors name the path and the reason.
    public static func open(directory: String) throws -> ManagerStore {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreOpenError(description: "cannot create data directory \(directory): \(plainReason(error))")
        }
        let path = (directory as NSString).appendingPathComponent("manager.sqlite")
        do {
            return try ManagerStore(path: path)
        } catch {
            throw StoreOpenError(description: "cannot open database \(path): \(plainReason(error))")
        }
    }

    /// The operating system's reason behind a Foundation error (e.g. "No such file or directory"), else the error's own text.
    static func plainReason(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let under = ns.userInfo[NSUnderlyingErrorKey] as? NSError, under.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(under.code)))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch ns.code {
            case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
            case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
            case NSFileWriteVolumeReadOnlyError: return "read-only file system"
            case NSFileWriteOutOfSpaceError: return "no space left on device"
            case NSFileWriteUnknownError, NSFileReadUnknownError: return "the file system refused (is it a special file system such as /proc?)"
            default: break
            }
        }
        return "\(error)"
    }
}
