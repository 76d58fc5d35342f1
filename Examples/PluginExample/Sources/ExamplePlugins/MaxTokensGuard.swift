import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins
import NIOCore

/// `max_tokens_guard`: answers 400 itself — before the cache or any upstream is involved — when
/// a request asks for more output tokens than allowed, and lets everything else through.
///
/// ```yaml
/// plugins:
///   - name: max_tokens_guard
///     settings: {limit: 4096}
/// ```
public struct MaxTokensGuard: ProxyPlugin {
    public let limit: Int

    public var hooks: PluginHooks { .beforeLookup }
    /// Runs before the built-ins (100), so that refused requests are never logged as misses.
    public var defaultPriority: Int { 10 }

    public static let factory = PluginFactory(name: "max_tokens_guard") { settings in
        MaxTokensGuard(limit: settings.int("limit", default: 4096, in: 1...1_000_000))
    }

    public func beforeLookup(_ request: PluginRequest) async throws -> PluginDecision {
        guard let body = try? JSONParser.parse(request.body.readableBytesView),
            let asked = (body["max_tokens"] ?? body["max_completion_tokens"] ?? body["max_output_tokens"])?.intValue,
            asked > limit
        else { return .proceed(request) }
        let message =
            #"{"error":{"type":"max_tokens_exceeded","message":"max_tokens \#(asked) is above this proxy's limit of \#(limit)"}}"#
        return .respond(PluginResponse(status: 400, body: ByteBuffer(string: message)))
    }
}
