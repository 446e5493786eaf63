import Foundation
import Hummingbird
import ManagerCore

/// Refuses at once (413) a request whose `Content-Length` is over the limit, instead of waiting for its body.
struct BodyLimit<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    /// Answers 413 before the handler runs when the declared body is too large.
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = declaredContentLength(request), declared > maxBytes {
            let refusal = APIError.tooLarge(maxBytes)
            var response = try errorResponse(refusal.status, refusal.code, refusal.message)
            // The body is never read: the connection cannot carry another request.
            response.headers[.connection] = "close"
            return response
        }
        return try await next(request, context)
    }
}

/// The body length a request declares, or nil without a usable `Content-Length` (one too large for `Int` counts as `Int.max`).
func declaredContentLength(_ request: Request) -> Int? {
    guard let text = request.headers[.contentLength]?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
          text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    else { return nil }
    return Int(text) ?? Int.max
}

extension APIError {
    /// The 413 answer for a body over `limit` bytes.
    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "too_large", "request body larger than \(limit) bytes")
    }
}
