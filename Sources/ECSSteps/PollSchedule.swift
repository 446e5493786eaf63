import AWSCore
import DelegateProtocol
import Foundation

/// When the steady-state wait looks at a service next: the pure core of the waiting schedule.
///
/// A rolling update behind a load balancer moves in phases whose lengths the
/// delegate can see: new tasks start (PROVISIONING, PENDING), then the old
/// ones are deregistered and drain for the target group's deregistration
/// delay, then stop. While the old tasks drain nothing can finish, so the
/// schedule sleeps until the drain can end (at most `sparse` at a time) and
/// only then polls every `dense`: success is noticed within `dense` of ECS
/// reaching steady state while a ten-minute rollout costs a handful of calls
/// a minute. Without a known delay (no load balancer, the attribute not
/// readable) or with no old deployment left, anything may finish at any moment and
/// the schedule polls every `dense`.
///
/// Every wake-up lands on a whole multiple of `dense` of the wall clock, so
/// the waiters of one cluster wake together and `ServicePoller` answers them
/// with one DescribeServices call per 10 services.
package struct PollSchedule: Sendable, Equatable {
    /// What one DescribeServices answer says about the rollout, as the schedule reads it.
    package struct Observation: Sendable, Equatable {
        /// Tasks of our deployment running.
        package var running: Int
        /// Tasks our deployment wants.
        package var desired: Int
        /// Other (old) deployments still listed: ECS lists one until its last task stopped, draining ones included
        /// (their tasks no longer count as running once deregistered).
        package var oldDeployments: Int
        /// When the old tasks began draining connections (the latest such ECS event of this rollout), if ECS said so.
        package var drainStartedAt: Date?
        /// When the answer was read (wall clock, comparable with ECS event times).
        package var at: Date

        /// Creates an observation.
        package init(running: Int, desired: Int, oldDeployments: Int, drainStartedAt: Date? = nil, at: Date) {
            self.running = running
            self.desired = desired
            self.oldDeployments = oldDeployments
            self.drainStartedAt = drainStartedAt
            self.at = at
        }
    }

    /// The interval while the rollout can finish at any moment: success is noticed within it.
    package var dense: Duration
    /// The longest sleep while nothing can finish (new events are logged at most this late).
    package var sparse: Duration
    /// The longest interval while new tasks start and old ones wait to drain.
    package var starting: Duration
    /// The target groups' deregistration delay (the longest of them); nil when unknown or there is no load balancer.
    package var deregistrationDelay: Duration?

    /// Creates a schedule; the defaults notice success within 1 s and sleep at most 30 s.
    package init(deregistrationDelay: Duration? = nil, dense: Duration = .seconds(1), sparse: Duration = .seconds(30), starting: Duration = .seconds(10)) {
        self.deregistrationDelay = deregistrationDelay
        self.dense = max(dense, .milliseconds(100))
        self.sparse = max(sparse, self.dense)
        self.starting = min(max(starting, self.dense), self.sparse)
    }

    /// The wait before the next look, after observation `o` (aligned to the `dense` grid).
    package func delay(after o: Observation) -> Duration {
        aligned(unaligned(after: o), at: o.at)
    }

    /// The wait after a throttled DescribeServices (the client has already retried with backoff): a sparse one,
    /// so the waiters of a throttled cluster give the account's budget back instead of hammering it.
    package func delayAfterThrottling(at now: Date) -> Duration {
        aligned(sparse, at: now)
    }

    /// The phase rules, before alignment.
    func unaligned(after o: Observation) -> Duration {
        guard let drain = deregistrationDelay, drain > dense, o.oldDeployments > 0 else { return dense }
        if o.running < o.desired {
            // New tasks are still starting: the old ones drain only once they run, so nothing ends sooner than the delay.
            return min(max(drain / 2, dense), starting)
        }
        guard let began = o.drainStartedAt else {
            // Draining, start time not reported: look every half delay, within bounds.
            return min(max(drain / 2, dense), starting)
        }
        let left = began.addingTimeInterval(drain.seconds).timeIntervalSince(o.at)
        guard left.isFinite, left > dense.seconds else { return dense }
        return min(.seconds(left), sparse)
    }

    /// `delay`, moved by at most half a `dense` to end on the nearest whole multiple of `dense` of the wall clock.
    func aligned(_ delay: Duration, at now: Date) -> Duration {
        let grid = dense.seconds
        let target = now.timeIntervalSince1970 + delay.seconds
        guard target.isFinite, grid > 0 else { return delay }
        let wait = (target / grid).rounded() * grid - now.timeIntervalSince1970
        return wait.isFinite && wait >= grid / 2 ? .seconds(wait) : delay
    }
}

extension PollSchedule.Observation {
    /// What the schedule reads from a DescribeServices answer about deployment `id`, read at `at`;
    /// drains ECS reported before `since` belong to an earlier rollout.
    package init(answer: JSONValue, deployment id: String, since: Date, at: Date) {
        let service = ECSService(answer)
        let ours = service.deployments.first { $0.id == id }
        let others = service.deployments.filter { $0.id != id }.count
        // Events come newest first: the first drain of this rollout found is the latest.
        let drain = service.events.first { e in
            (e.message?.contains("has begun draining connections") ?? false) && (e.createdAt.map { $0 >= since } ?? false)
        }?.createdAt
        self.init(running: ours?.runningCount ?? 0, desired: ours?.desiredCount ?? 0, oldDeployments: others, drainStartedAt: drain, at: at)
    }
}
