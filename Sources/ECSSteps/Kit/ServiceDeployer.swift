import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Logging

/// The kit's service machinery, one type for every step that changes a service: read, snapshot, roll out, scale, delete, and wait.
///
/// Split by concern over `ServiceDeployer+*.swift`: snapshots (`+Snapshot`),
/// scaling manifests (`+Scaling`), the waits (`+Waits`), the changes each step
/// composes (`+Changes`: delete and wait, update and wait, scale) and the
/// rollout of rendered manifests (`+Rollout`).
struct ServiceDeployer {
    /// The step this works for: its log, journal, clients and snapshot write.
    let run: StepRun
    let clients: AWSClients
    let poller: ServicePoller
    let cluster: String
    /// Whether steady-state waits fail as soon as tasks keep failing to start (the step's `failFast`).
    var failFast = true
    var context: TaskContext { run.context }
    var log: TaskLog { run.log }
    /// What this step changed so far.
    var journal: ChangeJournal { run.journal }

    /// Runs a read again, with backoff, while AWS throttles it beyond the client's own retries (`StepRun.patiently`).
    func patiently<T>(_ body: () async throws -> T) async throws -> T {
        try await run.patiently(body)
    }

    /// The service as it is now, typed (nil when ECS does not know it).
    func service(_ name: String) async throws -> ECSService? {
        try await currentService(name).map(ECSService.init)
    }

    /// The service as DescribeServices returns it (nil when ECS does not know it), for snapshots that keep it whole.
    func currentService(_ name: String) async throws -> JSONValue? {
        // Through the shared poller: deployments starting together cost one call per 10 services.
        try await patiently { try await poller.describe(cluster: cluster, service: name) }
    }
}

extension AWSError {
    /// Whether AWS throttled the call.
    var isThrottling: Bool { throttlingErrorCodes.contains(code) }
}

/// The id of the PRIMARY deployment in a CreateService/UpdateService answer.
func primaryDeploymentId(_ service: JSONValue?) -> String? {
    service.flatMap { ECSService($0).primaryDeployment?.id }
}
