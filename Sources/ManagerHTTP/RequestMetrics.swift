import Hummingbird

/// Counts every request the routes after it serve, by route pattern, method and status, with its duration (`ManagerMetrics`).
struct RequestMetrics: RouterMiddleware {
    typealias Context = ManagerRequestContext
    let metrics: ManagerMetrics

    /// Runs the rest of the chain and records how it answered (a thrown error as its HTTP status, else 500).
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.request(route: route, method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(route: route, method: request.method.rawValue, status: status, duration: ContinuousClock.now - start)
            throw error
        }
    }
}
