import HTTPTypes
import LLMCacheCore

/// Header names and filtering between client, proxy and upstream.
enum ProxyHeaders {
    static let status = HTTPField.Name("x-llmcache-status")!
    static let tier = HTTPField.Name("x-llmcache-tier")!
    static let key = HTTPField.Name("x-llmcache-key")!
    static let mode = HTTPField.Name("x-llmcache-mode")!
    static let namespace = HTTPField.Name("x-llmcache-namespace")!
    static let ttl = HTTPField.Name("x-llmcache-ttl")!
    static let replay = HTTPField.Name("x-llmcache-replay")!
    static let age = HTTPField.Name("age")!
    static let warning = HTTPField.Name("warning")!
    /// Request: `true` asks for the reason of a miss in `x-llmcache-miss-reason` (any mode).
    static let explain = HTTPField.Name("x-llmcache-explain")!
    static let missReason = HTTPField.Name("x-llmcache-miss-reason")!

    /// Request headers not forwarded upstream: hop-by-hop, framing, our own controls, and
    /// `accept-encoding` (responses are stored and replayed exactly as sent, uncompressed).
    static let notForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding",
    ]

    /// Response headers not relayed to the client: hop-by-hop and framing (Hummingbird frames
    /// the body itself).
    static let notRelayed: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "content-length",
    ]

    /// Whether `headers` announce a server-sent-events stream.
    static func isEventStream(_ headers: [HeaderField]) -> Bool {
        headers.contains {
            $0.name.lowercased() == "content-type" && $0.value.lowercased().hasPrefix("text/event-stream")
        }
    }

    /// `text` as a header value: printable ASCII only (others become `?`), at most 2,048 bytes.
    static func headerSafe(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.prefix(2048).map { $0.value >= 0x20 && $0.value < 0x7f ? $0 : "?" }))
    }

    static func fields(_ headers: [HeaderField]) -> HTTPFields {
        var fields = HTTPFields()
        for header in headers where !notRelayed.contains(header.name.lowercased()) {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        return fields
    }

    /// The request headers an upstream may see: no hop-by-hop or framing headers and none of our
    /// own controls. The client's credential stays; the dispatcher replaces it for an upstream
    /// that has its own.
    static func forwardable(_ fields: HTTPFields) -> [HeaderField] {
        var result: [HeaderField] = []
        for field in fields {
            let name = field.name.canonicalName
            if notForwarded.contains(name) || name.hasPrefix("x-llmcache-") { continue }
            result.append(HeaderField(name: field.name.rawName, value: field.value))
        }
        return result
    }
}
