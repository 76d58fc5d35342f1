import LLMCacheCore
import LLMCacheUpstream
import NIOCore

/// A way to reach an upstream other than HTTP to its base URL, registered by a plugin package
/// under a name that `upstreams.<id>.provider` refers to (e.g. an in-process model, a signing
/// gateway, a test double). Requests arrive in `wireFormat` and are keyed, stored and replayed
/// like any other.
public protocol UpstreamProvider: Sendable {
    /// How requests are normalized and which credential header is sent.
    var wireFormat: Upstream.Provider { get }
    func send(_ request: UpstreamRequest) async throws -> UpstreamClient.Response
}
