import DelegateProtocol
import DelegateRuntime
import Hummingbird
import Logging
import ServiceLifecycle

/// `metrics_listen`: the delegate's `/metrics` on a TCP address, for a Prometheus scraper.
///
/// The status socket answers only root and the service's user, so a scraper
/// cannot read it; this listener serves the same exposition and nothing else
/// (every other path is 404), with no key: metrics hold names, counts and
/// error codes, never a secret. Bind it to loopback or a private interface.
public struct MetricsListener: Sendable {
    let agent: DelegateAgent
    let address: ListenAddress
    let logger: Logger

    /// A listener for `agent`'s metrics on `address`.
    public init(agent: DelegateAgent, address: ListenAddress, logger: Logger) {
        self.agent = agent
        self.address = address
        self.logger = logger
    }

    /// The listener as a service of the delegate's group.
    public func service() -> some Service {
        let router = Router()
        let agent = self.agent
        router.get("metrics") { _, _ in metricsResponse(agent) }
        let logger = self.logger
        let address = self.address
        return Application(
            router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: "ecs-delegate"),
            onServerRunning: { _ in logger.info("metrics listening", metadata: ["address": "\(address)"]) },
            logger: logger)
    }
}

/// The Prometheus text exposition of `agent`'s metrics, its gauges read now.
func metricsResponse(_ agent: DelegateAgent) -> Response {
    Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: agent.metricsText())))
}
