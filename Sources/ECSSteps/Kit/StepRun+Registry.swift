import Registry
import StepContracts

extension StepRun {
    /// A registry client for the task's `dockerRegistry` connector (the registry steps' counterpart of `clients()`).
    func registry() throws -> RegistryClient {
        RegistryClient(connector: try RegistryConnector(try connector().dockerRegistry), http: env.http, logger: logger, environment: env.environment, policy: env.policy.connectors)
    }
}
