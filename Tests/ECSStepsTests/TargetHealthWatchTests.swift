import AWSServices
import ECSSteps
import Testing

/// `verify.targetHealth`'s pure core: target states at times in, lines and a verdict out.
@Suite struct TargetHealthWatchTests {
    func targets(_ states: [(String, String)], group: String = "tg-2") -> [TargetHealthWatch.Observed] {
        states.map { id, state in
            let reason: String? = state == "unhealthy" ? "Target.ResponseCodeMismatch" : nil
            return .init(group: group, target: TargetHealth(id: id, port: 80, state: state, reason: reason, detail: reason == nil ? nil : "Health checks failed with these codes: [500]"))
        }
    }

    @Test func passesOnceEveryTargetStaysHealthyForTheStableTime() {
        var w = TargetHealthWatch(stableSeconds: 30, timeoutSeconds: 600)
        let (v0, l0) = w.observe(targets([("10.0.0.1", "initial"), ("10.0.0.2", "healthy")]), at: .zero)
        #expect(v0 == .waiting)
        #expect(l0 == ["target 10.0.0.1:80 in tg-2: initial", "target 10.0.0.2:80 in tg-2: healthy"])
        let (v1, l1) = w.observe(targets([("10.0.0.1", "healthy"), ("10.0.0.2", "healthy")]), at: .seconds(5))
        #expect(v1 == .waiting)
        #expect(l1 == ["target 10.0.0.1:80 in tg-2: healthy", "2/2 targets healthy; passing once they stay healthy for 30 s"])
        #expect(w.observe(targets([("10.0.0.1", "healthy"), ("10.0.0.2", "healthy")]), at: .seconds(34)) == (.waiting, []), "a look with no change logs nothing")
        let (v2, l2) = w.observe(targets([("10.0.0.1", "healthy"), ("10.0.0.2", "healthy")]), at: .seconds(35))
        #expect(v2 == .passed("2/2 targets healthy for 30 s") && l2.isEmpty)
        #expect(w.healthy == 2 && w.total == 2)
    }

    @Test func anUnhealthyLookStartsTheClockAgain() {
        var w = TargetHealthWatch(stableSeconds: 30, timeoutSeconds: 600)
        _ = w.observe(targets([("a", "healthy")]), at: .zero)
        let (v, lines) = w.observe(targets([("a", "unhealthy")]), at: .seconds(20))
        #expect(v == .waiting)
        #expect(lines == ["target a:80 in tg-2: unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])"])
        _ = w.observe(targets([("a", "healthy")]), at: .seconds(25))
        #expect(w.observe(targets([("a", "healthy")]), at: .seconds(50)).0 == .waiting, "30 s from 0 would have passed; the clock restarted at 25")
        #expect(w.observe(targets([("a", "healthy")]), at: .seconds(55)).0 == .passed("1/1 targets healthy for 30 s"))
    }

    @Test func noTargetsIsNotHealthy() {
        var w = TargetHealthWatch(stableSeconds: 0, timeoutSeconds: 10)
        #expect(w.observe([], at: .zero) == (.waiting, ["no targets are registered"]))
        #expect(w.observe([], at: .seconds(5)) == (.waiting, []))
        #expect(w.observe([], at: .seconds(10)).0 == .failed("0/0 targets healthy after 10 s: no targets are registered"))
        var later = TargetHealthWatch(stableSeconds: 0, timeoutSeconds: 10)
        _ = later.observe([], at: .zero)
        #expect(later.observe(targets([("a", "healthy")]), at: .seconds(1)).0 == .passed("1/1 targets healthy for 0 s"), "stable 0 passes at the first all-healthy look")
    }

    @Test func theTimeoutNamesTheTargetsNotHealthy() {
        var w = TargetHealthWatch(stableSeconds: 30, timeoutSeconds: 60)
        _ = w.observe(targets([("a", "healthy"), ("b", "unhealthy"), ("c", "draining")]), at: .zero)
        let (v, lines) = w.observe(targets([("a", "healthy"), ("b", "unhealthy"), ("c", "draining")]), at: .seconds(60))
        #expect(lines.isEmpty)
        #expect(v == .failed("1/3 targets healthy after 60 s; not healthy: b:80 in tg-2 (unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])), c:80 in tg-2 (draining)"))
        var short = TargetHealthWatch(stableSeconds: 30, timeoutSeconds: 60)
        _ = short.observe(targets([("a", "healthy")]), at: .seconds(45))
        #expect(short.observe(targets([("a", "healthy")]), at: .seconds(60)).0 == .failed("1/1 targets healthy after 60 s, but only for 15 s of the 30 s needed"))
    }

    @Test func targetsOfSeveralGroupsAndDeregistrationAreLoggedOnce() {
        var w = TargetHealthWatch(stableSeconds: 10, timeoutSeconds: 100)
        let both = targets([("a", "healthy")], group: "tg-1") + targets([("a", "healthy")], group: "tg-2")
        let (_, lines) = w.observe(both, at: .zero)
        #expect(lines == ["target a:80 in tg-1: healthy", "target a:80 in tg-2: healthy", "2/2 targets healthy; passing once they stay healthy for 10 s"])
        let (v, gone) = w.observe(targets([("a", "healthy")], group: "tg-1"), at: .seconds(3))
        #expect(gone == ["target a:80 in tg-2: no longer registered"])
        #expect(v == .waiting && w.total == 1)
    }

    @Test func looksAreAtMostFiveSecondsApartAndLandWhenItCouldPass() {
        var w = TargetHealthWatch(stableSeconds: 30, timeoutSeconds: 600)
        #expect(w.pause(at: .zero) == .seconds(5))
        _ = w.observe(targets([("a", "healthy")]), at: .seconds(27))
        #expect(w.pause(at: .seconds(27)) == .seconds(5))
        #expect(w.pause(at: .seconds(28)) == .seconds(5))
        #expect(w.pause(at: .seconds(55)) == .seconds(2), "the stable time ends at 57 s")
        var ending = TargetHealthWatch(stableSeconds: 0, timeoutSeconds: 12)
        #expect(ending.pause(at: .seconds(10)) == .seconds(2), "the timeout at 12 s")
        #expect(ending.pause(at: .seconds(13)) == VerifySchedule.minPause)
        _ = ending.observe([], at: .zero)
    }
}
