import AWSServices
import ECSSteps
import Testing

/// `verify.alarms`' pure core: alarm states at times in, lines and a verdict out.
@Suite struct AlarmWatchTests {
    func alarm(_ name: String, _ state: String, _ reason: String = "") -> CloudWatchAlarm {
        CloudWatchAlarm(name: name, stateValue: state, stateReason: reason)
    }

    @Test func okAndInsufficientDataPassOnceTheWindowIsOver() {
        var w = AlarmWatch(alarmNames: ["errors", "latency"], windowSeconds: 60)
        let (v0, l0) = w.observe([alarm("errors", "OK"), alarm("latency", "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")], at: .zero)
        #expect(v0 == .waiting)
        #expect(l0 == ["alarm errors: OK", "alarm latency: INSUFFICIENT_DATA (Unchecked: Initial alarm creation)"])
        #expect(w.observe([alarm("errors", "OK"), alarm("latency", "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")], at: .seconds(30)) == (.waiting, []),
                "one line per change, not per look")
        let (v1, l1) = w.observe([alarm("errors", "OK"), alarm("latency", "OK", "Threshold not crossed")], at: .seconds(60))
        #expect(l1 == ["alarm latency: OK (Threshold not crossed)"])
        #expect(v1 == .passed("2/2 alarms OK for 60 s"))
        #expect(w.ok == 2)
    }

    @Test func anyAlarmFailsAtOnceNamingItsReason() {
        var w = AlarmWatch(alarmNames: ["errors", "latency"], windowSeconds: 600)
        _ = w.observe([alarm("errors", "OK"), alarm("latency", "OK")], at: .zero)
        let (v, lines) = w.observe([alarm("errors", "ALARM", "Threshold Crossed: 1 datapoint [12.0] was >= 5"), alarm("latency", "OK")], at: .seconds(12))
        #expect(lines == ["alarm errors: ALARM (Threshold Crossed: 1 datapoint [12.0] was >= 5)"])
        #expect(v == .failed("1/2 alarms OK after 12 s: errors is in ALARM (Threshold Crossed: 1 datapoint [12.0] was >= 5)"))
        #expect(w.ok == 1)
    }

    @Test func anAlarmThatDoesNotExistFailsAtOnce() {
        var w = AlarmWatch(alarmNames: ["errors", "typo"], windowSeconds: 60)
        let (v, _) = w.observe([alarm("errors", "OK"), alarm("unrelated", "ALARM")], at: .zero)
        #expect(v == .failed("1/2 alarms OK after 0 s: alarm typo does not exist"))
        var two = AlarmWatch(alarmNames: ["x", "y"], windowSeconds: 60)
        #expect(two.observe([], at: .zero).0 == .failed("0/2 alarms OK after 0 s: alarms x, y do not exist"))
    }

    @Test func aZeroWindowPassesAtTheFirstLookAndDuplicatesCountOnce() {
        var w = AlarmWatch(alarmNames: ["a", "a"], windowSeconds: 0)
        #expect(w.names == ["a"])
        #expect(w.observe([alarm("a", "OK")], at: .zero).0 == .passed("1/1 alarms OK for 0 s"))
    }

    @Test func looksAreAtMostFiveSecondsApartAndLandOnTheWindowsEnd() {
        let w = AlarmWatch(alarmNames: ["a"], windowSeconds: 12)
        #expect(w.pause(at: .zero) == .seconds(5))
        #expect(w.pause(at: .seconds(10)) == .seconds(2))
        #expect(w.pause(at: .seconds(20)) == VerifySchedule.minPause)
    }
}
