import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered to the client as `{"error":{"type":…,"message":…}}` (plus `key` where a
/// cache key is involved).
struct ProxyError: Error {
    var status: HTTPResponse.Status
    var type: String
    var message: String
    var key: String?

    static func badRequest(_ message: String) -> ProxyError { ProxyError(status: .badRequest, type: "invalid_request", message: message) }

    var response: Response {
        var body = #"{"error":{"type":"\#(JSONText.escape(type))","message":"\#(JSONText.escape(message))""#
        if let key { body += #","key":"\#(key)""# }
        body += "}}"
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key, let name = HTTPField.Name("x-llmcache-key") { headers[name] = key }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

enum JSONText {
    static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
