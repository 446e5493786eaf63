import Hummingbird

/// An error answer with a status, a stable code and a message.
struct APIError: Error {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }
}
