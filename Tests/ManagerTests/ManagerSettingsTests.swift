import ManagerCore
import Testing

/// `ecs-manager serve` flags out of range are refused, naming the flag and its range.
@Suite struct ManagerSettingsTests {
    /// Settings with one change from the defaults.
    func settings(_ change: (inout ManagerSettings) -> Void) -> ManagerSettings {
        var s = ManagerSettings()
        change(&s)
        return s
    }

    /// The message `validated()` refuses `s` with, or nil when it accepts them.
    func refusal(_ s: ManagerSettings) -> String? {
        do {
            _ = try s.validated()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theDefaultsAreValid() throws {
        _ = try ManagerSettings().validated()
    }

    @Test(arguments: [
        ("--heartbeat-seconds", "from 1 to 300", 1e30),
        ("--heartbeat-seconds", "from 1 to 300", 0),
        ("--heartbeat-seconds", "from 1 to 300", Double.nan),
        ("--poll-wait-seconds", "from 1 to 120", 121),
        ("--poll-wait-seconds", "from 1 to 120", -1),
        ("--lease-seconds", "from 5 to 3600", -1),
        ("--lease-seconds", "from 5 to 3600", Double.infinity),
    ])
    func outOfRangeDurationsAreRefused(flag: String, range: String, value: Double) {
        let s = settings {
            switch flag {
            case "--heartbeat-seconds": $0.heartbeatSeconds = value
            case "--poll-wait-seconds": $0.pollWaitSeconds = value
            default: $0.leaseSeconds = value
            }
        }
        let message = refusal(s)
        #expect(message?.hasPrefix("\(flag) must be \(range)") == true, "\(message ?? "accepted")")
    }

    @Test func outOfRangeLogSettingsAreRefused() {
        #expect(refusal(settings { $0.logFlushMillis = 0 })?.hasPrefix("--log-flush-millis must be from 10 to 60000, got 0") == true)
        #expect(refusal(settings { $0.logBatchMaxLines = 100_001 })?.hasPrefix("--log-batch-max-lines must be from 1 to 100000") == true)
    }

    @Test func aLeaseShorterThanTwoHeartbeatsIsRefused() {
        let message = refusal(settings { $0.heartbeatSeconds = 20; $0.leaseSeconds = 30 })
        #expect(message?.contains("--lease-seconds must be at least twice --heartbeat-seconds (20), got 30") == true, "\(message ?? "accepted")")
        #expect(refusal(settings { $0.heartbeatSeconds = 15; $0.leaseSeconds = 30 }) == nil)
    }
}
