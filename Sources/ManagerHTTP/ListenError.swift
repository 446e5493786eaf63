import Foundation
import ManagerCore
import NIOCore

/// The manager could not listen on its address; says which, and why, in plain words.
public struct ListenError: Error, Sendable, CustomStringConvertible {
    public let description: String

    /// The plain form of `error` when it is a failure to bind `host:port`, else nil.
    init?(host: String, port: Int, _ error: any Error) {
        guard let io = error as? IOError, io.description.contains("bind") else { return nil }
        let reason: String
        switch io.errnoCode {
        case EADDRINUSE: reason = "address already in use"
        case EADDRNOTAVAIL: reason = "address not available on this host"
        case EACCES: reason = "permission denied (ports below 1024 need privileges)"
        default: reason = String(cString: strerror(io.errnoCode))
        }
        description = "cannot listen on \(host):\(port): \(reason)"
    }
}
