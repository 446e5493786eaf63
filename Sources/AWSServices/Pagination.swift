import AWSCore
import Foundation

/// Paginators over `nextToken`-style (JSON) and `Marker`-style (Query) operations.
public enum Paginator {
    /// Pages of a JSON operation, following `tokenKey` (`nextToken` or `NextToken`) until it is absent.
    public static func jsonPages(
        client: AWSClient, service: AWSService, operation: String, input: JSONValue, tokenKey: String
    ) -> AsyncThrowingStream<JSONValue, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var request = input
                    var seen: Set<String> = []
                    while true {
                        let page = try await client.jsonCall(service: service, operation: operation, input: request)
                        continuation.yield(page)
                        guard let token = page[tokenKey]?.stringValue, !token.isEmpty, seen.insert(token).inserted else { break }
                        request[tokenKey] = .string(token)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Every element of `resultKey` across all pages of a JSON operation.
    public static func jsonCollect(
        client: AWSClient, service: AWSService, operation: String, input: JSONValue, tokenKey: String, resultKey: String
    ) async throws -> [JSONValue] {
        var all: [JSONValue] = []
        for try await page in jsonPages(client: client, service: service, operation: operation, input: input, tokenKey: tokenKey) {
            all += page[resultKey]?.arrayValue ?? []
        }
        return all
    }

    /// Every element of `resultKey` across all pages of a Query operation
    /// (request `Marker`, response `NextMarker`), as JSON.
    public static func queryCollect(
        client: AWSClient, service: AWSService, action: String, parameters: [(name: String, value: String)], resultKey: String
    ) async throws -> [JSONValue] {
        var all: [JSONValue] = []
        var marker: String?
        var seen: Set<String> = []
        repeat {
            var p = parameters
            if let marker { p.append(("Marker", marker)) }
            let result = try await client.queryCall(service: service, action: action, parameters: p).jsonValue
            all += result[resultKey]?.arrayValue ?? []
            marker = result["NextMarker"]?.stringValue
            if let m = marker, !seen.insert(m).inserted { break }
        } while marker?.isEmpty == false
        return all
    }
}

extension Array {
    /// Splits into slices of at most `size` elements (service limits per call).
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
