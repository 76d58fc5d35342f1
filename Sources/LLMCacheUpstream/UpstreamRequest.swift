import LLMCacheCore
import NIOCore

/// A request for an upstream provider.
public struct UpstreamRequest: Sendable {
    public let upstream: Upstream
    public let method: String
    public let pathAndQuery: String
    public let headers: [HeaderField]
    public let body: ByteBuffer?

    public init(upstream: Upstream, method: String, pathAndQuery: String, headers: [HeaderField], body: ByteBuffer?) {
        self.upstream = upstream
        self.method = method
        self.pathAndQuery = pathAndQuery
        self.headers = headers
        self.body = body
    }
}
