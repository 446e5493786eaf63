import AWSCore
import AWSServices
import AWSSigV4
import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import Synchronization

/// A Docker Registry HTTP API v2 / OCI distribution client on the project's `HTTPClient`.
///
/// Signs in anonymously, with basic credentials (sent up front, or on a
/// `WWW-Authenticate: Basic` challenge), through the bearer-token challenge
/// (token fetched from the realm with the basic credentials if any, cached per
/// scope until it expires), or with ECR's `GetAuthorizationToken` basic
/// credentials. Every answer is bounded in size; manifests are checked
/// against their `Docker-Content-Digest`.
package final class RegistryClient: Sendable {
    /// The connector: URL and credentials.
    package let connector: RegistryConnector
    let http: HTTPClient
    let logger: Logger
    let environment: [String: String]
    /// What the ECR connector may reach on this host.
    let policy: ConnectorPolicy
    /// Tags asked for per page (`n`).
    let pageSize: Int
    private let state = Mutex(State())

    /// The largest manifest accepted (distribution's own limit is 4 MiB).
    package static let maxManifestBytes = 4 << 20
    /// The largest page of tags accepted.
    package static let maxTagsPageBytes = 4 << 20
    /// The largest token answer accepted.
    static let maxTokenAnswerBytes = 64 << 10
    /// The most pages of tags followed.
    package static let maxTagPages = 1000
    /// The most tags collected.
    package static let maxTags = 100_000
    /// The most platform entries read from an index.
    package static let maxPlatforms = 1024
    /// The time limit of one request.
    static let requestTimeout: Duration = .seconds(30)
    /// The most bearer tokens (scopes) cached; the one that expires soonest makes room.
    package static let maxTokens = 32

    /// What the client learned while signing in.
    private struct State {
        /// Bearer tokens by realm, service and scope, with when they stop being used (at most `maxTokens`, none expired kept past the next fetch).
        var tokens: [String: (token: String, until: ContinuousClock.Instant)] = [:]
        /// The realm and service of the last bearer challenge (the registry wants tokens, not basic credentials).
        var bearer: (realm: String, service: String?)?
        /// ECR's basic credentials and when to fetch new ones.
        var ecr: (user: String, password: String, until: ContinuousClock.Instant)?
    }

    /// Creates a client for `connector` on `http`; `logger` and `environment` serve ECR's AWS credential chain.
    package init(
        connector: RegistryConnector, http: HTTPClient, logger: Logger = Logger(label: "registry"),
        environment: [String: String] = ProcessInfo.processInfo.environment, pageSize: Int = 100, policy: ConnectorPolicy = .strict
    ) {
        self.policy = policy
        self.connector = connector
        self.http = http
        self.logger = logger
        self.environment = environment
        self.pageSize = min(max(pageSize, 1), 1000)
    }

    // MARK: operations

    /// `GET /v2/`: the registry answers and accepts the credentials; a `TaskError` says why not.
    package func validate() async throws {
        let request = "GET /v2/"
        let response = try await send(url: connector.url + "/v2/", accept: nil, scope: nil, maxBytes: 64 << 10, request: request)
        guard response.status == 200 else { throw failure(response, request) }
    }

    /// Every tag of `repository`, following `Link: <...>; rel="next"` (and `n`/`last`) across pages, in the registry's order.
    package func tags(repository: String) async throws -> [String] {
        try Self.checkRepository(repository)
        let request = "GET /v2/\(repository)/tags/list"
        var url = connector.url + "/v2/\(repository)/tags/list?n=\(pageSize)"
        var tags: [String] = []
        var seen: Set<String> = []
        var visited: Set<String> = []
        for _ in 0..<Self.maxTagPages {
            visited.insert(url)
            let response = try await send(url: url, accept: "application/json", scope: "repository:\(repository):pull", maxBytes: Self.maxTagsPageBytes, request: request)
            guard response.status == 200 else { throw failure(response, request) }
            guard let json = try? JSONValue(parsing: response.body), json.objectValue != nil else {
                throw RegistryFailure.invalid("the tag list is not a JSON object", registry: connector.url, request: request)
            }
            let page = json["tags"]?.arrayValue ?? []
            var added = 0
            for item in page {
                guard let tag = item.stringValue, ImageName.isTag(tag) else {
                    throw RegistryFailure.invalid("the tag list holds an entry that is not a tag", registry: connector.url, request: request)
                }
                if seen.insert(tag).inserted {
                    tags.append(tag)
                    added += 1
                }
            }
            if tags.count > Self.maxTags {
                throw RegistryFailure.invalid("more than \(Self.maxTags) tags", registry: connector.url, request: request)
            }
            let next: String
            if let link = LinkHeader.next(response.header("Link")) {
                next = try resolveLink(link, request: request)
            } else if page.count >= pageSize, added > 0, let last = tags.last {
                next = connector.url + "/v2/\(repository)/tags/list?n=\(pageSize)&last=\(SigV4.uriEncode(last))"
            } else {
                return tags
            }
            if visited.contains(next) || added == 0 { return tags }
            url = next
        }
        throw RegistryFailure.invalid("more than \(Self.maxTagPages) pages of tags", registry: connector.url, request: request)
    }

    /// The manifest `reference` (a tag or `sha256:` digest) of `repository`: its verified digest, media type and platforms.
    package func resolve(repository: String, reference: String) async throws -> ResolvedManifest {
        try Self.checkRepository(repository)
        guard ImageName.isTag(reference) || ImageName.isDigest(reference) else {
            throw TaskError(code: "invalid_payload", message: "'\(reference.prefix(200))' is neither a tag (letters, digits, '_', '.', '-'; at most 128) nor a sha256: digest")
        }
        let request = "GET /v2/\(repository)/manifests/\(reference)"
        let response = try await send(
            url: connector.url + "/v2/\(repository)/manifests/\(reference)", accept: ManifestMediaType.acceptHeader,
            scope: "repository:\(repository):pull", maxBytes: Self.maxManifestBytes, request: request)
        guard response.status == 200 else { throw failure(response, request) }
        return try ManifestReader(registry: connector.url, request: request).read(response, reference: reference)
    }

    // MARK: signing in

    /// Sends one GET with whatever credentials the registry wants, answering one challenge.
    private func send(url: String, accept: String?, scope: String?, maxBytes: Int, request: String) async throws -> HTTPClientResponse {
        var authorization = try await upFrontAuthorization(scope: scope)
        var response = try await get(url, accept: accept, authorization: authorization, maxBytes: maxBytes, request: request)
        guard response.status == 401 else { return response }
        switch AuthChallenge(header: response.header("WWW-Authenticate")) {
        case .basic:
            guard let credentials = try await basicCredentials() else { return response }
            let basic = Self.basic(credentials)
            guard authorization != basic else { return response }
            authorization = basic
        case .bearer(let realm, let service, let challengeScope):
            let token = try await bearerToken(realm: realm, service: service, scope: challengeScope ?? scope, request: request)
            authorization = "Bearer \(token)"
        case nil:
            return response
        }
        response = try await get(url, accept: accept, authorization: authorization, maxBytes: maxBytes, request: request)
        return response
    }

    /// What to send before any challenge: a cached token for `scope`, else the basic credentials unless the registry wants tokens.
    private func upFrontAuthorization(scope: String?) async throws -> String? {
        let now = ContinuousClock.now
        let (cached, wantsTokens): (String?, Bool) = state.withLock { s in
            guard let bearer = s.bearer else { return (nil, false) }
            let key = Self.tokenKey(realm: bearer.realm, service: bearer.service, scope: scope)
            guard let entry = s.tokens[key], entry.until > now else { return (nil, true) }
            return (entry.token, true)
        }
        if let cached { return "Bearer \(cached)" }
        if wantsTokens { return nil }
        return try await basicCredentials().map(Self.basic)
    }

    /// A token from `realm` for `service` and `scope`, from the cache while it lasts.
    private func bearerToken(realm: String, service: String?, scope: String?, request: String) async throws -> String {
        let key = Self.tokenKey(realm: realm, service: service, scope: scope)
        let now = ContinuousClock.now
        let cached: String? = state.withLock { s in
            s.bearer = (realm, service)
            guard let entry = s.tokens[key], entry.until > now else { return nil }
            return entry.token
        }
        if let cached { return cached }
        guard URLRules.httpURLProblem(realm) == nil, var components = URLComponents(string: realm), let scheme = components.scheme?.lowercased(),
            let realmHost = URLRules.host(of: realm)
        else {
            throw RegistryFailure.invalid("the token realm '\(RegistryFailure.quoted(String(realm.prefix(200))))' is not an http(s) URL", registry: connector.url, request: request)
        }
        if scheme == "http", connector.url.lowercased().hasPrefix("https:") {
            throw RegistryFailure.invalid("the token realm \(realm) is plain http behind an https registry; refusing to send credentials there", registry: connector.url, request: request)
        }
        let credentials = try await basicCredentials()
        switch RegistryTokenHosts.decide(realmHost: realmHost, registryHost: URLRules.host(of: connector.url) ?? "", tokenHosts: connector.tokenHosts) {
        case .refuse(let why):
            throw RegistryFailure.invalid(why, registry: connector.url, request: request)
        case .anonymousOnly where credentials != nil:
            throw RegistryFailure.invalid(
                "the registry sends its login to the token server \(realmHost), which is not the registry's host; add \(realmHost) to the connector's tokenHosts to allow that",
                registry: connector.url, request: request)
        case .anonymousOnly, .sendLogin:
            break
        }
        var query = components.queryItems ?? []
        if let service { query.append(URLQueryItem(name: "service", value: service)) }
        if let scope { query.append(URLQueryItem(name: "scope", value: scope)) }
        components.queryItems = query.isEmpty ? nil : query
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let tokenURL = components.string else {
            throw RegistryFailure.invalid("the token realm cannot be used as a URL", registry: connector.url, request: request)
        }
        let tokenRequest = "GET token from \(realm)"
        let response = try await get(tokenURL, accept: "application/json", authorization: credentials.map(Self.basic), maxBytes: Self.maxTokenAnswerBytes, request: tokenRequest)
        guard response.status == 200 else {
            throw RegistryFailure.status(response, registry: connector.url, request: tokenRequest, who: who)
        }
        guard let json = try? JSONValue(parsing: response.body),
            let token = json["token"]?.stringValue ?? json["access_token"]?.stringValue, !token.isEmpty, token.utf8.count <= 32 << 10,
            token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            throw RegistryFailure.invalid("the token server's answer has no usable token", registry: connector.url, request: tokenRequest)
        }
        // Tokens live `expires_in` seconds (60 when not said); re-fetch 5 s early.
        let lifetime = json["expires_in"]?.doubleValue.map { UntrustedNumber.clamped($0, to: 1...86_400) } ?? 60
        let until = ContinuousClock.now + .seconds(max(lifetime - 5, 1))
        state.withLock { s in
            // Bounded: expired tokens go when a new one comes, and at most `maxTokens` scopes are kept.
            let now = ContinuousClock.now
            s.tokens = s.tokens.filter { $0.value.until > now }
            if s.tokens[key] == nil, s.tokens.count >= Self.maxTokens, let soonest = s.tokens.min(by: { $0.value.until < $1.value.until })?.key {
                s.tokens.removeValue(forKey: soonest)
            }
            s.tokens[key] = (token, until)
        }
        return token
    }

    /// The user and password: the connector's, or ECR's (fetched with the AWS connector, cached until 5 minutes before expiry).
    private func basicCredentials() async throws -> (user: String, password: String)? {
        if let user = connector.username { return (user, connector.password ?? "") }
        guard let ecr = connector.ecr else { return nil }
        let now = ContinuousClock.now
        if let cached = state.withLock({ $0.ecr }), cached.until > now { return (cached.user, cached.password) }
        let authorization: ECRAuthorization
        do {
            authorization = try await AWSClients(connector: ecr, http: http, logger: logger, environment: environment, policy: policy).ecr.getAuthorizationToken()
        } catch let e as AWSError {
            throw TaskError(code: "registry.ecr", message: "ecr:GetAuthorizationToken failed in \(ecr.region): \(e.code): \(e.message)")
        } catch let e as TaskError {
            throw e
        } catch {
            throw TaskError(code: "registry.ecr", message: "ecr:GetAuthorizationToken failed in \(ecr.region): \(error)")
        }
        let seconds = authorization.expiresAt.map { $0.timeIntervalSinceNow - 300 } ?? 3600
        let until = now + .seconds(UntrustedNumber.clamped(seconds, to: 60...43_200))
        state.withLock { $0.ecr = (authorization.username, authorization.password, until) }
        return (authorization.username, authorization.password)
    }

    /// Bearer tokens cached now (for tests).
    package var cachedTokenCount: Int { state.withLock { $0.tokens.count } }

    /// Who the registry saw, for error messages: the user's name, never the password.
    private var who: String {
        if let user = connector.username { return "user '\(user)'" }
        if connector.ecr != nil { return "the ECR authorization token" }
        return "anonymous access"
    }

    /// A GET (bounded, timed) with an optional `Authorization`; transport failures become `registry.unreachable`.
    private func get(_ url: String, accept: String?, authorization: String?, maxBytes: Int, request: String) async throws -> HTTPClientResponse {
        var headers: [(name: String, value: String)] = []
        if let accept { headers.append(("Accept", accept)) }
        if let authorization { headers.append(("Authorization", authorization)) }
        var r = HTTPClientRequest(method: "GET", url: url, headers: headers, timeout: Self.requestTimeout)
        r.maxResponseBytes = maxBytes
        do {
            return try await http.send(r)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw RegistryFailure.unreachable(error, registry: connector.url, request: request)
        }
    }

    /// The error for a non-200 answer to `request`.
    private func failure(_ response: HTTPClientResponse, _ request: String) -> TaskError {
        RegistryFailure.status(response, registry: connector.url, request: request, who: who)
    }

    /// A `Link` target as an absolute URL on this registry's origin; another origin is refused.
    private func resolveLink(_ link: String, request: String) throws -> String {
        guard let base = URLComponents(string: connector.url), let scheme = base.scheme, let host = base.host else {
            throw RegistryFailure.invalid("the registry URL has no origin", registry: connector.url, request: request)
        }
        let origin = "\(scheme)://\(ImageName.hostPort(connector.url) ?? host)"
        if link.hasPrefix("/") { return origin + link }
        if link.lowercased().hasPrefix(origin.lowercased() + "/") { return link }
        throw RegistryFailure.invalid("the next page link '\(RegistryFailure.quoted(String(link.prefix(200))))' leaves the registry", registry: connector.url, request: request)
    }

    /// `Basic base64(user:password)`.
    private static func basic(_ c: (user: String, password: String)) -> String {
        "Basic " + Data("\(c.user):\(c.password)".utf8).base64EncodedString()
    }

    /// The cache key of a token.
    private static func tokenKey(realm: String, service: String?, scope: String?) -> String {
        "\(realm)\n\(service ?? "")\n\(scope ?? "")"
    }

    /// Throws unless `repository` is a repository path (lower-case components, at most 255 bytes), so it is safe in a URL.
    static func checkRepository(_ repository: String) throws {
        let parts = repository.split(separator: "/", omittingEmptySubsequences: false)
        guard !repository.isEmpty, repository.utf8.count <= ImageName.maxNameBytes, parts.allSatisfy({ ImageName.isPathComponent(String($0)) }) else {
            throw TaskError(code: "invalid_payload", message: "'\(repository.prefix(300))' is not a repository path (lower-case letters and digits separated by '.', '_', '-', and '/'; at most \(ImageName.maxNameBytes) bytes)")
        }
    }
}
