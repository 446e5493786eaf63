import CCurl
import Foundation

/// The one HTTP client every outbound call uses: libcurl's multi interface on one thread.
///
/// Requests from any task are handed to a single loop thread that drives all
/// transfers with `curl_multi_poll`, so a hundred requests in flight cost one
/// thread, and connections (and HTTP/2 streams) are reused across requests.
/// Cancelling the calling task aborts its transfer.
public final class HTTPClient: Sendable {
    private let loop: CurlLoop

    /// Starts a client with its loop thread.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        loop = CurlLoop(configuration: configuration)
    }

    deinit {
        loop.shutdown()
    }

    /// Sends a request and returns the final response; throws `HTTPClientError`
    /// when no response arrives, `CancellationError` when the task is cancelled.
    ///
    /// Cancellation wins a race with a failure: a transfer that fails after
    /// (or while) its task was cancelled, say with "Empty reply from server"
    /// as the connection is torn down, throws `CancellationError`, never a
    /// transport error the retry logic would take as transient.
    public func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let id = loop.nextID()
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPClientResponse, Error>) in
                    loop.submit(id: id, request: request, continuation: continuation)
                }
            } onCancel: {
                loop.cancel(id: id)
            }
        } catch is HTTPClientError where Task.isCancelled {
            throw CancellationError()
        }
    }

    /// Stops the loop thread; requests in flight fail with `.shutdown`.
    public func shutdown() {
        loop.shutdown()
    }

    /// Requests begun and not yet answered, and cancellations waiting for their transfer (for tests: both return to 0).
    package var held: (live: Int, cancellations: Int) { loop.held }
}

/// State for one transfer; touched only on the loop thread after submission.
final class Transfer: @unchecked Sendable {
    let id: UInt64
    let request: HTTPClientRequest
    let continuation: CheckedContinuation<HTTPClientResponse, Error>
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// The request's `connectTo` entries as libcurl holds them until the transfer ends.
    var connectToList: UnsafeMutablePointer<curl_slist>?
    var bodyBuffer: UnsafeMutableRawBufferPointer?
    var responseBody = Data()
    var responseHeaders: [(name: String, value: String)] = []
    var tooLarge = false
    let maxBytes: Int
    let errorBuffer: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        p.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return p
    }()
    var cStrings: [UnsafeMutablePointer<CChar>] = []

    init(id: UInt64, request: HTTPClientRequest, continuation: CheckedContinuation<HTTPClientResponse, Error>, maxBytes: Int) {
        self.id = id
        self.request = request
        self.continuation = continuation
        self.maxBytes = maxBytes
    }

    /// Keeps a C string alive for the life of the transfer (libcurl copies most, not all).
    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        cStrings.append(p)
        return p
    }

    deinit {
        errorBuffer.deallocate()
    }

    func release() {
        if let h = headerList { curl_slist_free_all(h) }
        headerList = nil
        if let c = connectToList { curl_slist_free_all(c) }
        connectToList = nil
        bodyBuffer?.deallocate()
        bodyBuffer = nil
        for p in cStrings { free(p) }
        cStrings = []
        if let e = easy { curl_easy_cleanup(e) }
        easy = nil
    }
}

/// The loop thread and its hand-off queues.
final class CurlLoop: @unchecked Sendable {
    private let configuration: HTTPClientConfiguration
    private let lock = NSLock()
    private var pending: [Transfer] = []
    /// Requests given an id and not yet answered: a cancellation is kept only for one of these.
    private var live: Set<UInt64> = []
    /// Cancellations the loop has not applied yet (always a subset of `live`).
    private var cancelled: Set<UInt64> = []
    private var counter: UInt64 = 0
    private var stopped = false
    private var started = false
    private var multi: UnsafeMutableRawPointer?
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(configuration: HTTPClientConfiguration) {
        self.configuration = configuration
        _ = CurlGlobal.once
        multi = curl_multi_init()
        if let multi {
            _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maxConnections)
            _ = ccurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        }
    }

    func nextID() -> UInt64 {
        lock.withLock {
            counter += 1
            live.insert(counter)
            return counter
        }
    }

    var held: (live: Int, cancellations: Int) { lock.withLock { (live.count, cancelled.count) } }

    /// Forgets a request that has been answered: a cancellation arriving later is not kept.
    private func retire(_ id: UInt64) {
        lock.withLock {
            live.remove(id)
            cancelled.remove(id)
        }
    }

    func submit(id: UInt64, request: HTTPClientRequest, continuation: CheckedContinuation<HTTPClientResponse, Error>) {
        let maxBytes = min(configuration.maxResponseBytes, request.maxResponseBytes ?? configuration.maxResponseBytes)
        let transfer = Transfer(id: id, request: request, continuation: continuation, maxBytes: maxBytes)
        let outcome: String? = lock.withLock {
            if stopped {
                live.remove(id)
                cancelled.remove(id)
                return "shutdown"
            }
            if cancelled.remove(id) != nil {
                live.remove(id)
                return "cancelled"
            }
            pending.append(transfer)
            if !started {
                started = true
                let t = Thread { [self] in self.run() }
                t.name = "curl-loop"
                t.stackSize = 256 << 10
                thread = t
                t.start()
            }
            return nil
        }
        switch outcome {
        case "shutdown": continuation.resume(throwing: HTTPClientError(.shutdown, "the HTTP client was shut down"))
        case "cancelled": continuation.resume(throwing: CancellationError())
        default: if let multi { curl_multi_wakeup(multi) }
        }
    }

    func cancel(id: UInt64) {
        // A request already answered has nothing to cancel: keeping its id would grow the set for good.
        lock.withLock { if live.contains(id) { cancelled.insert(id) } }
        if let multi { curl_multi_wakeup(multi) }
    }

    func shutdown() {
        let wasStarted: Bool = lock.withLock {
            if stopped { return false }
            stopped = true
            return started
        }
        guard let multi else { return }
        if wasStarted {
            curl_multi_wakeup(multi)
            finished.wait()
        } else {
            lock.withLock {
                for t in pending {
                    live.remove(t.id)
                    t.continuation.resume(throwing: HTTPClientError(.shutdown, "the HTTP client was shut down"))
                }
                pending = []
                cancelled = []
            }
        }
        curl_multi_cleanup(multi)
        self.multi = nil
    }

    // MARK: loop thread

    private func run() {
        guard let multi else { return }
        var active: [UInt64: Transfer] = [:]
        while true {
            let (newOnes, cancels, stop) = lock.withLock { () -> ([Transfer], Set<UInt64>, Bool) in
                let n = pending
                pending = []
                let c = cancelled.filter { id in active[id] != nil || n.contains { $0.id == id } }
                cancelled.subtract(c)
                return (n, c, stopped)
            }
            for t in newOnes {
                if let error = configure(t) {
                    t.release()
                    retire(t.id)
                    t.continuation.resume(throwing: error)
                    continue
                }
                active[t.id] = t
                curl_multi_add_handle(multi, t.easy)
            }
            for id in cancels {
                if let t = active.removeValue(forKey: id) {
                    curl_multi_remove_handle(multi, t.easy)
                    t.release()
                    retire(t.id)
                    t.continuation.resume(throwing: CancellationError())
                }
            }
            if stop {
                for (_, t) in active {
                    curl_multi_remove_handle(multi, t.easy)
                    t.release()
                    retire(t.id)
                    t.continuation.resume(throwing: HTTPClientError(.shutdown, "the HTTP client was shut down"))
                }
                active = [:]
                finished.signal()
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let msg = curl_multi_info_read(multi, &queued) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = msg.pointee.data.result
                var priv: UnsafeMutablePointer<CChar>?
                _ = ccurl_getinfo_ptr(easy, CURLINFO_PRIVATE, &priv)
                guard let priv else { continue }
                let t = Unmanaged<Transfer>.fromOpaque(UnsafeRawPointer(priv)).takeUnretainedValue()
                active.removeValue(forKey: t.id)
                curl_multi_remove_handle(multi, easy)
                complete(t, code: code)
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func complete(_ t: Transfer, code: CURLcode) {
        guard let easy = t.easy else { return }
        retire(t.id)
        if code == CURLE_OK {
            var status = 0
            var version = 0
            _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            _ = ccurl_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
            let response = HTTPClientResponse(
                status: status, headers: t.responseHeaders, body: t.responseBody,
                httpVersion: version >= Int(CURL_HTTP_VERSION_2_0) ? 2 : 1)
            t.release()
            t.continuation.resume(returning: response)
            return
        }
        let detail = String(cString: t.errorBuffer)
        var text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        // libcurl's text for a failed connect ("Couldn't connect to server") hides why: refused, unreachable, ...
        var osErrno = 0
        if code == CURLE_COULDNT_CONNECT, ccurl_getinfo_long(easy, CURLINFO_OS_ERRNO, &osErrno) == CURLE_OK, osErrno > 0, osErrno < 4096 {
            let why = String(cString: strerror(Int32(osErrno)))
            if !text.contains(why) { text += " (\(why))" }
        }
        let message = "\(t.request.method) \(redact(t.request.url)): \(text)"
        let kind: HTTPClientError.Kind
        switch code {
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connect
        case CURLE_WRITE_ERROR where t.tooLarge: kind = .tooLarge
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidRequest
        default: kind = .transport
        }
        t.release()
        t.continuation.resume(throwing: HTTPClientError(kind, kind == .tooLarge ? "\(message) (response larger than \(t.maxBytes) bytes)" : message))
    }

    /// Sets up the easy handle; returns an error for a request libcurl cannot take.
    private func configure(_ t: Transfer) -> HTTPClientError? {
        guard let easy = curl_easy_init() else { return HTTPClientError(.transport, "curl_easy_init failed") }
        t.easy = easy
        let req = t.request
        let opaque = Unmanaged.passUnretained(t).toOpaque()
        var rc = ccurl_setopt_str(easy, CURLOPT_URL, req.url)
        if rc != CURLE_OK { return HTTPClientError(.invalidRequest, "bad URL \(redact(req.url))") }
        _ = ccurl_setopt_ptr(easy, CURLOPT_PRIVATE, opaque)
        _ = ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        // Every URL is input somewhere (a connector, a realm, a manager URL): only http and https, for requests and any redirect.
        guard ccurl_setopt_str(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK,
            ccurl_setopt_str(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK
        else {
            return HTTPClientError(.invalidRequest, "libcurl cannot be held to http and https")
        }
        _ = ccurl_setopt_ptr(easy, CURLOPT_ERRORBUFFER, t.errorBuffer)
        _ = ccurl_setopt_write_cb(easy, curlWriteCallback)
        _ = ccurl_setopt_ptr(easy, CURLOPT_WRITEDATA, opaque)
        _ = ccurl_setopt_header_cb(easy, curlHeaderCallback)
        _ = ccurl_setopt_ptr(easy, CURLOPT_HEADERDATA, opaque)
        _ = ccurl_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        _ = ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(configuration.connectTimeout))
        _ = ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, milliseconds(req.timeout ?? configuration.requestTimeout))
        _ = ccurl_setopt_str(easy, CURLOPT_USERAGENT, configuration.userAgent)
        _ = ccurl_setopt_str(easy, CURLOPT_ACCEPT_ENCODING, "")
        if let ca = configuration.caFile { _ = ccurl_setopt_str(easy, CURLOPT_CAINFO, ca) }
        if let cert = configuration.clientCertificateFile { _ = ccurl_setopt_str(easy, CURLOPT_SSLCERT, cert) }
        if let key = configuration.clientKeyFile { _ = ccurl_setopt_str(easy, CURLOPT_SSLKEY, key) }
        if let proxy = configuration.proxy { _ = ccurl_setopt_str(easy, CURLOPT_PROXY, proxy) }
        if let noProxy = configuration.noProxy { _ = ccurl_setopt_str(easy, CURLOPT_NOPROXY, noProxy) }
        if let path = req.unixSocketPath { _ = ccurl_setopt_str(easy, CURLOPT_UNIX_SOCKET_PATH, path) }
        if !req.connectTo.isEmpty {
            var mappings: UnsafeMutablePointer<curl_slist>?
            for entry in req.connectTo {
                guard !entry.utf8.contains(0), let appended = curl_slist_append(mappings, entry) else {
                    if let mappings { curl_slist_free_all(mappings) }
                    return HTTPClientError(.invalidRequest, "bad connect-to entry for \(redact(req.url))")
                }
                mappings = appended
            }
            t.connectToList = mappings
            guard ccurl_setopt_slist(easy, CURLOPT_CONNECT_TO, mappings) == CURLE_OK else {
                return HTTPClientError(.invalidRequest, "libcurl does not take connect-to entries")
            }
        }

        let method = req.method.uppercased()
        switch method {
        case "GET": _ = ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = ccurl_setopt_long(easy, CURLOPT_NOBODY, 1)
        default:
            if method != "POST" { _ = ccurl_setopt_str(easy, CURLOPT_CUSTOMREQUEST, method) }
        }
        if method != "GET" && method != "HEAD" {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(req.body.count, 1), alignment: 1)
            req.body.copyBytes(to: buffer)
            t.bodyBuffer = buffer
            _ = ccurl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.count))
            rc = ccurl_setopt_ptr(easy, CURLOPT_POSTFIELDS, buffer.baseAddress)
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in req.headers {
            list = curl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // No 100-continue round trip: servers here answer at once.
        list = curl_slist_append(list, "Expect:")
        // libcurl labels a body without a type as a form; send none rather than a wrong one.
        if req.header("Content-Type") == nil {
            list = curl_slist_append(list, "Content-Type:")
        }
        t.headerList = list
        _ = ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
        return nil
    }
}

private func milliseconds(_ d: Duration) -> Int {
    let (s, atto) = d.components
    return Int(s) * 1000 + Int(atto / 1_000_000_000_000_000)
}

/// The URL without its query string, which may carry signatures.
func redact(_ url: String) -> String {
    if let q = url.firstIndex(of: "?") { return String(url[..<q]) + "?…" }
    return url
}

private let curlWriteCallback: ccurl_data_cb = { ptr, size, count, userdata in
    guard let ptr, let userdata else { return 0 }
    let t = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    if let onChunk = t.request.onBodyChunk {
        onChunk(Data(bytes: ptr, count: n))
        return n
    }
    if t.responseBody.count + n > t.maxBytes {
        t.tooLarge = true
        return 0
    }
    t.responseBody.append(UnsafeRawPointer(ptr).assumingMemoryBound(to: UInt8.self), count: n)
    return n
}

private let curlHeaderCallback: ccurl_data_cb = { ptr, size, count, userdata in
    guard let ptr, let userdata else { return 0 }
    let t = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: n), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        t.responseHeaders = []  // a new response (after a redirect or 1xx) starts
    } else if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon])
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        t.responseHeaders.append((name, value))
    }
    return n
}

/// libcurl's process-wide initialisation, done once.
enum CurlGlobal {
    static let once: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()
}
