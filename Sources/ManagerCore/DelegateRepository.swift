import DelegateProtocol
import Foundation

/// Delegates and the leases they hold: registration, heartbeats, the delegate list, and handing tasks out under leases that expire.
///
/// A lease is a delegate's hold on a task, so the calls that take, renew,
/// expire and extend leases live here beside the delegates; what a task is and
/// what it reported (its result, its log) is `TaskRepository`'s. `ManagerStore`
/// (SQLite) and `PostgresStore` implement it; `DelegateRepositoryContractTests`
/// hold both to the same contract.
public protocol DelegateRepository: Sendable {
    // MARK: delegates

    /// Registers (or re-registers, by instance id) a delegate; requeues what an earlier process of it never started.
    ///
    /// With `tokenName` the delegate is bound to the token it registered with,
    /// and with `audit` the registration's audit entry is recorded: all in one
    /// commit.
    func register(_ r: RegisterRequest, now: Date, boundTo tokenName: String?, audit: RegistrationAudit?) async throws -> Registration
    /// Every task type any delegate has ever registered.
    func knownTaskTypes() async throws -> Set<String>
    /// A registered delegate's routing facts, or nil.
    func delegate(_ id: String) async throws -> DelegateRow?
    /// Marks a delegate seen (poll or heartbeat) and, for heartbeats, records its state.
    func touch(delegateId: String, heartbeat: HeartbeatRequest?, now: Date) async throws
    /// Marks a delegate unregistered.
    func unregister(delegateId: String) async throws
    /// Every delegate, with its state as seen now.
    func delegates(now: Date, staleAfter: TimeInterval) async throws -> [DelegateInfo]

    // MARK: leases

    /// Leases the oldest queued task this delegate may run (nil when none, or when `delegate` is of an earlier generation).
    func lease(for delegate: DelegateRow, leaseSeconds: TimeInterval, now: Date) async throws -> LeasedTask?
    /// Records a heartbeat in one commit: the delegate seen with its state (as `touch`), the leases it lists renewed (as `renew`); returns (renewed, cancel).
    func heartbeat(delegateId: String, _ hb: HeartbeatRequest, leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String])
    /// Renews the leases a heartbeat lists; returns (renewed, cancel).
    func renew(delegateId: String, running: [RunningTask], leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String])
    /// Requeues unstarted and fails started tasks whose lease ran out; returns their ids.
    func expireLeases(now: Date) async throws -> [String]
    /// Extends every live lease by `seconds` (after a restart).
    func extendLiveLeases(by seconds: TimeInterval, now: Date) async throws
}

/// The delegate and lease calls at the current time, for callers that do not inject a clock.
extension DelegateRepository {
    /// Registers a delegate at `now`, unbound and unaudited.
    public func register(_ r: RegisterRequest, now: Date) async throws -> Registration { try await register(r, now: now, boundTo: nil, audit: nil) }
    /// Registers a delegate now.
    public func register(_ r: RegisterRequest) async throws -> Registration { try await register(r, now: Date()) }
    /// Marks a delegate seen now.
    public func touch(delegateId: String, heartbeat: HeartbeatRequest?) async throws { try await touch(delegateId: delegateId, heartbeat: heartbeat, now: Date()) }
    /// Every delegate as seen now.
    public func delegates(staleAfter: TimeInterval) async throws -> [DelegateInfo] { try await delegates(now: Date(), staleAfter: staleAfter) }
    /// Leases now.
    public func lease(for delegate: DelegateRow, leaseSeconds: TimeInterval) async throws -> LeasedTask? { try await lease(for: delegate, leaseSeconds: leaseSeconds, now: Date()) }
    /// Renews leases now.
    public func renew(delegateId: String, running: [RunningTask], leaseSeconds: TimeInterval) async throws -> ([String], [String]) {
        try await renew(delegateId: delegateId, running: running, leaseSeconds: leaseSeconds, now: Date())
    }
    /// Expires leases that ran out by now.
    public func expireLeases() async throws -> [String] { try await expireLeases(now: Date()) }
    /// Extends live leases from now.
    public func extendLiveLeases(by seconds: TimeInterval) async throws { try await extendLiveLeases(by: seconds, now: Date()) }
}
