import Hummingbird
import LLMCacheUpstream
import Logging
import NIOCore

/// One request as it moves through the pipeline's stages: the request (as the before-lookup
/// plugins left it), its whole body, the route it matched and the mode it asked for.
struct ProxyExchange: Sendable {
    var request: Request
    var body: ByteBuffer
    let route: RouteTable.Route
    let mode: CacheMode
    let logger: Logger

    var method: String { request.method.rawValue }
    var path: String { request.uri.path }
}
