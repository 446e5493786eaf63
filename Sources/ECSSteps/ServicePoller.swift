import AWSCore
import AWSServices
import DelegateRuntime
import Foundation

/// Shares DescribeServices calls among concurrent waiters on one cluster: requests that arrive
/// within a short window are answered by one call for up to 10 services.
///
/// One batch per cluster is in flight at a time: requests that arrive while one is answered wait
/// for the next, so a cluster of a thousand waiters under throttling makes one sequence of calls
/// (each retried by the client) rather than a new pile of them every second.
package actor ServicePoller {
    private struct Pending {
        var services: Set<String> = []
        var waiters: [(String, CheckedContinuation<JSONValue?, Error>)] = []
    }
    private var pending: [String: Pending] = [:]
    /// Clusters whose batch is being answered.
    private var flushing: Set<String> = []
    private let ecs: ECS
    private let window: Duration
    /// DescribeServices calls made (for tests and figures).
    package private(set) var calls = 0
    /// Deregistration delays read per target group, and when (re-read after `delayCacheLifetime`).
    private var delays: [String: (delay: Duration?, readAt: ContinuousClock.Instant)] = [:]
    /// How long a target group's deregistration delay is taken as read.
    private let delayCacheLifetime = Duration.seconds(600)

    package init(ecs: ECS, window: Duration = .milliseconds(15)) {
        self.ecs = ecs
        self.window = window
    }

    /// The service as DescribeServices returns it (nil: MISSING).
    package func describe(cluster: String, service: String) async throws -> JSONValue? {
        try await withCheckedThrowingContinuation { c in
            let idle = pending[cluster] == nil && !flushing.contains(cluster)
            pending[cluster, default: Pending()].services.insert(service)
            pending[cluster, default: Pending()].waiters.append((service, c))
            if idle {
                Task { await self.flush(cluster: cluster) }
            }
        }
    }

    /// The longest deregistration delay of `targetGroups` (nil: none readable), each read once per `delayCacheLifetime`
    /// with DescribeTargetGroupAttributes, so a thousand services behind one target group cost one call.
    ///
    /// A failure to read (no permission, throttled) leaves the delay unknown: the schedule then polls densely, it does not fail.
    package func deregistrationDelay(targetGroups: [String], elb: ELBv2) async -> Duration? {
        var longest: Duration?
        for arn in Set(targetGroups).sorted() {
            let now = ContinuousClock.now
            let delay: Duration?
            if let cached = delays[arn], now - cached.readAt < delayCacheLifetime {
                delay = cached.delay
            } else {
                let attributes = try? await elb.describeTargetGroupAttributes(arn: arn)
                // The value is from outside: whole seconds within ELB's documented 0-3600 range, or unknown.
                delay = attributes?["deregistration_delay.timeout_seconds"].flatMap { Int($0) }
                    .flatMap { (0...3600).contains($0) ? Duration.seconds($0) : nil }
                if delays.count >= 10_000 { delays.removeAll() }
                delays[arn] = (delay, now)
            }
            if let delay { longest = max(longest ?? .zero, delay) }
        }
        return longest
    }

    private func flush(cluster: String) async {
        flushing.insert(cluster)
        defer {
            flushing.remove(cluster)
            // Requests that arrived meanwhile: the next batch, at once.
            if pending[cluster] != nil { Task { await self.flush(cluster: cluster) } }
        }
        try? await Task.sleep(for: window)
        guard let batch = pending.removeValue(forKey: cluster) else { return }
        var waiters: [String: [CheckedContinuation<JSONValue?, Error>]] = [:]
        for (name, c) in batch.waiters { waiters[name, default: []].append(c) }
        let names = Array(batch.services).sorted()
        for start in stride(from: 0, to: names.count, by: 10) {
            let chunk = Array(names[start..<min(start + 10, names.count)])
            // Each chunk's waiters are answered as soon as their call is: the last of a thousand services does not hold up the first.
            let answer: Result<[String: JSONValue], Error>
            do {
                calls += 1
                let (services, _) = try await ecs.describeServices(cluster: cluster, services: chunk, includeTags: true)
                var found: [String: JSONValue] = [:]
                for s in services {
                    if let n = s["serviceName"]?.stringValue { found[n] = s }
                }
                answer = .success(found)
            } catch {
                answer = .failure(error)
            }
            for name in chunk {
                for c in waiters.removeValue(forKey: name) ?? [] {
                    switch answer {
                    case .success(let found): c.resume(returning: found[name])
                    case .failure(let error): c.resume(throwing: error)
                    }
                }
            }
        }
    }
}
