import HTTPTypes
import Hummingbird
import LLMCacheCore
import NIOCore

/// An error answered to the client as `{"error":{"type":…,"message":…}}` (plus `key` where a
/// cache key is involved).
/// The admin API answers its errors the same way.
package struct ProxyError: Error, CustomStringConvertible {
    var status: HTTPResponse.Status
    var type: String
    var message: String
    var key: String?
    /// Extra detail, the `explanation` member of the error object (a cache miss's nearest request).
    var explanation: JSONValue?

    package init(
        status: HTTPResponse.Status, type: String, message: String, key: String? = nil, explanation: JSONValue? = nil
    ) {
        self.status = status
        self.type = type
        self.message = message
        self.key = key
        self.explanation = explanation
    }

    package var description: String { message }

    static func badRequest(_ message: String) -> ProxyError {
        ProxyError(status: .badRequest, type: "invalid_request", message: message)
    }

    /// The JSON error object's bytes.
    var jsonBody: [UInt8] {
        var body = #"{"error":{"type":"\#(JSONString.escaped(type))","message":"\#(JSONString.escaped(message))""#
        if let key { body += #","key":"\#(key)""# }
        if let explanation { body += #","explanation":"# + explanation.canonicalText }
        body += "}}"
        return Array(body.utf8)
    }

    package var response: Response {
        let body = jsonBody
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key, let name = HTTPField.Name("x-llmcache-key") { headers[name] = key }
        // The official SDKs retry a 504; a replay miss answers the same every time.
        if type == "cache_miss", let name = HTTPField.Name("x-should-retry") { headers[name] = "false" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
