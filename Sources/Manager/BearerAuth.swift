import Hummingbird

/// Refuses every request without the right bearer token (401), before any handler runs.
struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), token) else {
            return try errorResponse(.unauthorized, "unauthorized", "missing or wrong bearer token")
        }
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return try errorResponse(e.status, e.code, e.message)
        }
    }
}

/// Whether two byte strings are equal, in time that does not depend on where they differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}
