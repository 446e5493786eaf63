import AWSCore
import Foundation
import Testing
import ECSSteps

/// A rolling update as ECS reports it over time: new tasks run at `running`, the old ones begin draining then,
/// stop `drain + stopping` seconds later, and ECS is steady from that moment.
private struct Timeline {
    var running: Double
    var drain: Double
    var stopping: Double
    var steadyAt: Double { running + drain + stopping }

    /// The observation at `t` seconds (epoch 1,000,000 + t on the wall clock).
    func observation(_ t: Double, base: Date) -> PollSchedule.Observation {
        let newRunning = t >= running ? 2 : 0
        let oldRunning = t >= steadyAt ? 0 : 1
        return PollSchedule.Observation(
            running: newRunning, desired: 2, oldDeployments: oldRunning,
            drainStartedAt: t >= running ? base.addingTimeInterval(running) : nil, at: base.addingTimeInterval(t))
    }
}

/// Runs the schedule against a timeline; returns the polls made while waiting and how late steady state was seen.
private func wait(_ schedule: PollSchedule, _ timeline: Timeline, callLatency: Double = 0.02) -> (polls: Int, late: Double) {
    let base = Date(timeIntervalSince1970: 1_000_000)
    var t = 0.0
    var polls = 0
    while t < timeline.steadyAt {
        let o = timeline.observation(t, base: base)
        t += schedule.delay(after: o).seconds + callLatency
        polls += 1
    }
    return (polls, t - timeline.steadyAt)
}

@Suite struct PollScheduleTests {
    let now = Date(timeIntervalSince1970: 1_000_000.25)

    @Test func tenMinuteRolloutCostsUnderTenCallsAMinuteAndIsNoticedWithinASecond() {
        // 2 min for new tasks to start, the target group's 450 s deregistration delay, 28 s to stop.
        let timeline = Timeline(running: 120, drain: 450, stopping: 28)
        let (polls, late) = wait(PollSchedule(deregistrationDelay: .seconds(450)), timeline)
        let perMinute = Double(polls) / (timeline.steadyAt / 60)
        #expect(perMinute <= 10, "\(polls) polls in \(timeline.steadyAt) s")
        #expect(late <= 1.05, "noticed \(late) s after steady state")
        // The old 1 s cadence would have spent about 60 a minute.
        let (densePolls, _) = wait(PollSchedule(), timeline)
        #expect(densePolls > polls * 5)
    }

    @Test func drainingSleepsUntilTheDelayCanEndThenPollsDensely() {
        let s = PollSchedule(deregistrationDelay: .seconds(300))
        let began = now.addingTimeInterval(-100)
        // 200 s left: at most the sparse cap.
        let far = s.delay(after: .init(running: 2, desired: 2, oldDeployments: 2, drainStartedAt: began, at: now))
        #expect(far.seconds >= 29.5 && far.seconds <= 30.5)
        // 12 s left: sleeps until then (to the next whole second).
        let near = s.delay(after: .init(running: 2, desired: 2, oldDeployments: 2, drainStartedAt: began, at: now.addingTimeInterval(188)))
        #expect(near.seconds >= 11.5 && near.seconds <= 12.5)
        // The delay is over, the old deployment is still listed (its tasks stopping): dense.
        let over = s.delay(after: .init(running: 2, desired: 2, oldDeployments: 1, drainStartedAt: began, at: now.addingTimeInterval(201)))
        #expect(over.seconds <= 1.5)
    }

    @Test func denseWhenAnythingCanFinish() {
        let s = PollSchedule(deregistrationDelay: .seconds(300))
        // No old deployment listed (a first deployment, or all old tasks stopped): dense.
        #expect(s.delay(after: .init(running: 0, desired: 2, oldDeployments: 0, at: now)).seconds <= 1.5)
        // No load balancer, or its delay unknown or shorter than the dense interval: dense.
        #expect(PollSchedule().delay(after: .init(running: 0, desired: 2, oldDeployments: 2, at: now)).seconds <= 1.5)
        #expect(PollSchedule(deregistrationDelay: .zero).delay(after: .init(running: 2, desired: 2, oldDeployments: 2, drainStartedAt: now, at: now)).seconds <= 1.5)
    }

    @Test func startingTasksAndUnreportedDrainsPollAtHalfTheDelayWithinBounds() {
        let long = PollSchedule(deregistrationDelay: .seconds(300))
        let starting = long.delay(after: .init(running: 1, desired: 2, oldDeployments: 2, at: now))
        #expect(starting.seconds >= 9.5 && starting.seconds <= 10.5)
        let unreported = long.delay(after: .init(running: 2, desired: 2, oldDeployments: 2, drainStartedAt: nil, at: now))
        #expect(unreported.seconds >= 9.5 && unreported.seconds <= 10.5)
        let short = PollSchedule(deregistrationDelay: .seconds(5)).delay(after: .init(running: 1, desired: 2, oldDeployments: 2, at: now))
        #expect(short.seconds >= 2 && short.seconds <= 3)
    }

    @Test func wakeUpsLandOnTheWholeSecondSoOneClustersWaitersShareACall() {
        let s = PollSchedule(deregistrationDelay: .seconds(60))
        for offset in [0.0, 0.1, 0.37, 0.999] {
            let at = Date(timeIntervalSince1970: 2_000_000 + offset)
            let d = s.delay(after: .init(running: 1, desired: 2, oldDeployments: 2, at: at))
            let wake = at.timeIntervalSince1970 + d.seconds
            #expect(abs(wake - wake.rounded()) < 1e-3, "woke at \(wake)")
            #expect(d.seconds >= 9.5 - 1e-6 && d.seconds <= 10.5 + 1e-6)
        }
        // Throttled: a sparse wait, on the grid too.
        let t = s.delayAfterThrottling(at: Date(timeIntervalSince1970: 2_000_000.4))
        #expect(t.seconds >= 29.5 && t.seconds <= 30.5)
    }

    @Test func hostileTimesGiveBoundedDelays() {
        let s = PollSchedule(deregistrationDelay: .seconds(3600))
        // A drain start far in the future (clock skew, a lying answer): capped at the sparse interval.
        let future = s.delay(after: .init(running: 2, desired: 2, oldDeployments: 2, drainStartedAt: .distantFuture, at: now))
        #expect(future.seconds <= 30.5)
        // One far in the past: the drain is over, dense.
        let past = s.delay(after: .init(running: 2, desired: 2, oldDeployments: 2, drainStartedAt: .distantPast, at: now))
        #expect(past.seconds <= 1.5)
    }

    @Test func observationReadsOursTheOldTasksAndThisRolloutsDrain() {
        let since = Date(timeIntervalSince1970: 5_000)
        let answer: JSONValue = [
            "deployments": [
                ["id": "ecs-svc/2", "status": "PRIMARY", "runningCount": 2, "desiredCount": 2],
                ["id": "ecs-svc/1", "status": "ACTIVE", "runningCount": 1, "desiredCount": 0],
                ["id": "ecs-svc/0", "status": "ACTIVE", "runningCount": -7, "desiredCount": 0],
            ],
            "events": [
                ["id": "e3", "createdAt": 5_040, "message": "(service myapp) has begun draining connections on 1 tasks."],
                ["id": "e2", "createdAt": 5_030, "message": "(service myapp) has begun draining connections on 1 tasks."],
                ["id": "e1", "createdAt": 4_000, "message": "(service myapp) has begun draining connections on 2 tasks."],
            ],
            "loadBalancers": [["targetGroupArn": "arn:tg/1"]],
        ]
        let o = PollSchedule.Observation(answer: answer, deployment: "ecs-svc/2", since: since, at: since.addingTimeInterval(50))
        #expect(o == PollSchedule.Observation(running: 2, desired: 2, oldDeployments: 2, drainStartedAt: Date(timeIntervalSince1970: 5_040), at: since.addingTimeInterval(50)))
        // Only an earlier rollout's drain: none for this one.
        let old = PollSchedule.Observation(answer: ["events": answer["events"]?.arrayValue.map { JSONValue.array(Array($0.suffix(1))) } ?? []], deployment: "ecs-svc/2", since: since, at: since)
        #expect(old.drainStartedAt == nil && old.running == 0 && old.desired == 0)
    }
}
