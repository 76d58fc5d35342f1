import HTTPTypes
import Hummingbird
import LLMCacheCore

/// A namespace carried in the URL instead of a header: `/__llmcache/ns/<namespace>/<path>` is
/// served as `/<path>` with `x-llmcache-namespace: <namespace>` (percent-decoded). For clients
/// that can set a base URL but no header — the official SDKs read `OPENAI_BASE_URL` and
/// `ANTHROPIC_BASE_URL`, so a test runner gives each test its own namespace without changing
/// the test (the pytest plugin does). A namespace in the path wins over a header.
enum NamespacePath {
    static let prefix = "/__llmcache/ns/"

    /// `request` with the namespace moved from its path into the header; `request` itself when
    /// its path has no prefix.
    /// - Throws: 400 for a prefix with no namespace or path after it, or bad percent-encoding.
    static func rewrite(_ request: Request) throws -> Request {
        guard let path = request.head.path, path.hasPrefix(prefix) else { return request }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/"), slash > rest.startIndex else {
            throw ProxyError.badRequest(
                "a namespace path is \(prefix)<namespace>/<API path>, e.g. \(prefix)tests/v1/chat/completions")
        }
        guard let namespace = PercentEncoding.decode(rest[..<slash]), !namespace.isEmpty else {
            throw ProxyError.badRequest("the namespace in the path is not valid percent-encoding")
        }
        var head = request.head
        head.path = String(rest[slash...])
        head.headerFields[ProxyHeaders.namespace] = namespace
        return Request(head: head, body: request.body)
    }
}
