import DelegateProtocol
import Foundation

/// A delegate's routing facts as stored.
public struct DelegateRow: Sendable {
    public var id: String
    public var name: String
    public var hostname: String
    public var version: String
    public var tags: [String]
    public var taskTypes: [String]
    public var capacity: Int
    public var freeCapacity: Int
    public var state: DelegateState
    public var lastSeen: Date
    public var lastHeartbeat: Date?
    /// Bumped by every registration of this instance (see `ManagerStore.register`).
    public var generation: Int64

    /// A row with these facts (each store reads its own columns into it).
    package init(
        id: String, name: String, hostname: String, version: String, tags: [String], taskTypes: [String], capacity: Int, freeCapacity: Int,
        state: DelegateState, lastSeen: Date, lastHeartbeat: Date?, generation: Int64
    ) {
        self.id = id
        self.name = name
        self.hostname = hostname
        self.version = version
        self.tags = tags
        self.taskTypes = taskTypes
        self.capacity = capacity
        self.freeCapacity = freeCapacity
        self.state = state
        self.lastSeen = lastSeen
        self.lastHeartbeat = lastHeartbeat
        self.generation = generation
    }

    /// Whether the delegate has been heard from within `staleAfter` and has not left.
    package func isConnected(now: Date, staleAfter: TimeInterval) -> Bool {
        state != .unregistered && now.timeIntervalSince(lastSeen) <= staleAfter
    }

    /// The delegate as the API shows it: disconnected when not heard from within `staleAfter`.
    package func info(now: Date, staleAfter: TimeInterval) -> DelegateInfo {
        let shown: DelegateState = state == .unregistered ? state : (isConnected(now: now, staleAfter: staleAfter) ? state : .disconnected)
        return DelegateInfo(
            delegateId: id, name: name, hostname: hostname, version: version, tags: tags, capacity: capacity, freeCapacity: freeCapacity,
            state: shown.rawValue, lastHeartbeat: lastHeartbeat)
    }
}

