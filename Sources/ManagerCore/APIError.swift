import HTTPTypes

/// An error answer with a status, a stable code and a message.
package struct APIError: Error {
    package let status: HTTPResponse.Status
    package let code: String
    package let message: String
    package init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }
}
