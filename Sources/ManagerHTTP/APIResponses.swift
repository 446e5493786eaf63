import DelegateProtocol
import Foundation
import Hummingbird
import ManagerCore

/// An error answer: `{"error": {"code", "message"}}` with `status`.
func errorResponse(_ status: HTTPResponse.Status, _ code: String, _ message: String) throws -> Response {
    try json(ErrorBody(code: code, message: message), status: status)
}

/// A JSON answer in the protocol's encoding.
func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try ProtocolV1.encoder().encode(value)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Decodes a request body of at most `limit` bytes, nested at most `JSONNesting.defaultLimit` deep; a 400 or 413 names what is wrong.
func decode<T: Decodable>(_ req: Request, _ ctx: ManagerRequestContext, limit: Int = 8 << 20) async throws -> T {
    if let declared = declaredContentLength(req), declared > limit { throw APIError.tooLarge(limit) }
    let buffer: ByteBuffer
    do {
        buffer = try await req.body.collect(upTo: limit)
    } catch {
        throw APIError.tooLarge(limit)
    }
    do {
        try buffer.withUnsafeReadableBytes { try JSONNesting.check($0) }
    } catch let e as JSONNestingError {
        throw APIError(.badRequest, "invalid_body", "\(T.self): \(e)")
    }
    let data = buffer.withUnsafeReadableBytes { Data($0) }  // one copy (a Data built from the view iterates it byte by byte)
    let decoder = ProtocolV1.decoder()
    do {
        return try decoder.decode(T.self, from: data)
    } catch let e as DecodingError {
        throw APIError(.badRequest, "invalid_body", "\(T.self): \(describe(e, decoding: T.self, from: data, with: decoder))")
    }
}
