import AWSSigV4
import Foundation
import HTTPClient
import Logging

/// A source of AWS credentials.
public protocol CredentialProvider: Sendable {
    /// Credentials valid now. Throws `AWSClientError` with kind `.noCredentials`
    /// when this source is not configured (a chain then tries the next one), or
    /// `.credentialsFailed` when it is configured but broken.
    func credentials() async throws -> AWSCredentials
}

/// What credential providers share: the environment, the HTTP client, the clock, where to log.
public struct CredentialContext: Sendable {
    /// The environment to read (injected so tests need not touch the process's).
    public var environment: [String: String]
    /// The transport for metadata endpoints and STS.
    public var httpClient: HTTPClient
    /// Where providers log (never secrets).
    public var logger: Logger
    /// The region for STS calls; `nil` reads `AWS_REGION`, `AWS_DEFAULT_REGION`, then uses `us-east-1`.
    public var region: String?
    /// An STS endpoint URL override (a connector's), else `AWS_ENDPOINT_URL_STS`/`AWS_ENDPOINT_URL`.
    public var stsEndpoint: String?
    /// The home directory holding `.aws/`; `nil` reads `HOME`.
    public var homeDirectory: String?
    /// The clock.
    public var now: @Sendable () -> Date
    /// Retry settings for STS calls.
    public var retry: RetryConfiguration?

    /// Creates a context.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, httpClient: HTTPClient, logger: Logger,
        region: String? = nil, stsEndpoint: String? = nil, homeDirectory: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() }, retry: RetryConfiguration? = nil
    ) {
        self.environment = environment
        self.httpClient = httpClient
        self.logger = logger
        self.region = region
        self.stsEndpoint = stsEndpoint
        self.homeDirectory = homeDirectory
        self.now = now
        self.retry = retry
    }

    /// The region STS calls use.
    public var stsRegion: String {
        if let region, !region.isEmpty { return region }
        return environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_DEFAULT_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
    }

    /// An `AWSClient` for STS signed with `provider`.
    func stsClient(_ provider: any CredentialProvider) -> AWSClient {
        AWSClient(
            credentialProvider: provider, httpClient: httpClient,
            configuration: AWSClientConfiguration(
                region: stsRegion, serviceEndpoints: stsEndpoint.map { ["STS": $0] } ?? [:], retry: retry,
                environment: environment, timeout: .seconds(30), now: now),
            logger: logger)
    }
}

/// Fixed credentials (e.g. the keys in a task's connector).
public struct StaticCredentialProvider: CredentialProvider {
    /// The credentials returned.
    public let value: AWSCredentials

    /// Creates a provider returning `credentials`.
    public init(_ credentials: AWSCredentials) {
        value = credentials
    }

    /// Returns the fixed credentials.
    public func credentials() async throws -> AWSCredentials { value }
}

/// A provider for unsigned calls; it never has credentials.
public struct AnonymousCredentialProvider: CredentialProvider {
    /// Creates the provider.
    public init() {}

    /// Always throws `.noCredentials`.
    public func credentials() async throws -> AWSCredentials {
        throw AWSClientError(.noCredentials, "this client sends unsigned requests only")
    }
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optional `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: CredentialProvider {
    /// The environment read.
    public let environment: [String: String]

    /// Creates a provider reading `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The credentials from the environment.
    public func credentials() async throws -> AWSCredentials {
        let id = environment["AWS_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment["AWS_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (id, secret) {
        case (nil, nil):
            throw AWSClientError(.noCredentials, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        case (let id?, let secret?):
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
        case (nil, _):
            throw AWSClientError(.credentialsFailed, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both or neither")
        case (_, nil):
            throw AWSClientError(.credentialsFailed, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both or neither")
        }
    }
}

/// Tries providers in order and sticks with the first one that has credentials.
public final class CredentialProviderChain: CredentialProvider, @unchecked Sendable {
    /// The providers with a name each, in order.
    public let providers: [(name: String, provider: any CredentialProvider)]
    private let lock = NSLock()
    private var selected: Int?
    private let logger: Logger?

    /// Creates a chain.
    public init(_ providers: [(name: String, provider: any CredentialProvider)], logger: Logger? = nil) {
        self.providers = providers
        self.logger = logger
    }

    /// The name of the provider in use, once one has answered.
    public var selectedName: String? {
        lock.withLock { selected.map { providers[$0].name } }
    }

    /// Credentials from the first configured provider.
    public func credentials() async throws -> AWSCredentials {
        if let index = lock.withLock({ selected }) {
            return try await providers[index].provider.credentials()
        }
        var skipped: [String] = []
        for (index, entry) in providers.enumerated() {
            do {
                let credentials = try await entry.provider.credentials()
                lock.withLock { selected = index }
                logger?.debug("AWS credentials from \(entry.name)", metadata: ["access_key_id": "\(credentials.accessKeyId)"])
                return credentials
            } catch let error as AWSClientError where error.kind == .noCredentials {
                skipped.append(entry.name)
                continue
            }
        }
        throw AWSClientError(
            .noCredentials,
            "no AWS credentials found (tried \(skipped.joined(separator: ", "))); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, or give the connector credentials")
    }

    /// The default chain in the AWS SDKs' order: explicit credentials (a
    /// connector's), environment, web identity, shared config/credentials files,
    /// ECS container credentials, EC2 instance metadata (IMDSv2); wrapped so that
    /// expiring credentials are refreshed ahead of expiry by one refresher.
    public static func defaultChain(explicit: AWSCredentials? = nil, context: CredentialContext) -> RefreshingCredentialProvider {
        var providers: [(name: String, provider: any CredentialProvider)] = []
        if let explicit { providers.append(("explicit", StaticCredentialProvider(explicit))) }
        providers.append(("environment", EnvironmentCredentialProvider(environment: context.environment)))
        providers.append(("web identity", WebIdentityCredentialProvider(context: context)))
        providers.append(("shared config", ProfileCredentialProvider(context: context)))
        providers.append(("ECS container", ContainerCredentialProvider(context: context)))
        providers.append(("EC2 instance metadata", InstanceMetadataCredentialProvider(context: context)))
        return RefreshingCredentialProvider(
            source: CredentialProviderChain(providers, logger: context.logger), now: context.now)
    }
}

/// Caches expiring credentials and refreshes them shortly before they expire,
/// with one refresh in flight at a time that every caller waits on.
public actor RefreshingCredentialProvider: CredentialProvider {
    private enum State {
        case empty
        case cached(AWSCredentials)
        case refreshing(Task<AWSCredentials, Error>, previous: AWSCredentials?)
    }

    private let source: any CredentialProvider
    private let refreshWindow: TimeInterval
    private let now: @Sendable () -> Date
    private var state: State = .empty
    private var refreshes = 0

    /// Creates a provider that refreshes `refreshWindow` before expiry (5 minutes by default).
    public init(source: any CredentialProvider, refreshWindow: Duration = .seconds(300), now: @escaping @Sendable () -> Date = { Date() }) {
        self.source = source
        self.refreshWindow = refreshWindow.seconds
        self.now = now
    }

    /// How many times the source was asked (for tests and metrics).
    public var refreshCount: Int { refreshes }

    /// Cached credentials while fresh, else the result of the single refresh.
    public func credentials() async throws -> AWSCredentials {
        switch state {
        case .cached(let c) where !needsRefresh(c):
            return c
        case .refreshing(let task, let previous):
            do {
                return try await task.value
            } catch {
                if let previous, let expiration = previous.expiration, expiration > now() { return previous }
                throw error
            }
        case .cached(let c):
            return try await refresh(previous: c)
        case .empty:
            return try await refresh(previous: nil)
        }
    }

    private func needsRefresh(_ c: AWSCredentials) -> Bool {
        guard let expiration = c.expiration else { return false }
        return expiration.timeIntervalSince(now()) < refreshWindow
    }

    private func refresh(previous: AWSCredentials?) async throws -> AWSCredentials {
        let source = self.source
        let task = Task { try await source.credentials() }
        state = .refreshing(task, previous: previous)
        refreshes += 1
        do {
            let fresh = try await task.value
            state = .cached(fresh)
            return fresh
        } catch {
            // Credentials that have not yet expired still work: keep them.
            if let previous, let expiration = previous.expiration, expiration > now() {
                state = .cached(previous)
                return previous
            }
            state = .empty
            throw error
        }
    }
}

/// Parses ISO 8601 timestamps with or without fractional seconds.
func parseISO8601(_ text: String) -> Date? {
    let f = ISO8601DateFormatter()
    if let d = f.date(from: text) { return d }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: text)
}
