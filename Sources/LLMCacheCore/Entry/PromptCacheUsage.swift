import NIOCore

/// What the provider's own prompt caching did on a call that went upstream, read from the
/// answer's `usage` objects: input tokens read from its cache (OpenAI's
/// `prompt_tokens_details.cached_tokens`, the Responses API's `input_tokens_details.cached_tokens`,
/// Anthropic's `cache_read_input_tokens`) and written to it (Anthropic's
/// `cache_creation_input_tokens`, which cost more than plain input). Kept apart from what the
/// proxy's own cache saved: a savings figure that mixes the two overstates the proxy.
///
/// A stream carries several `usage` objects; the largest figure of each kind is the answer's.
public struct PromptCacheUsage: Sendable, Equatable {
    public var readTokens: Int
    public var writeTokens: Int

    public init(readTokens: Int, writeTokens: Int) {
        self.readTokens = readTokens
        self.writeTokens = writeTokens
    }

    /// The provider's prompt-cache figures in `body`: zero when its usage names none, nil when the
    /// body states no usage at all.
    public static func extract(from body: ByteBuffer) -> PromptCacheUsage? {
        body.withUnsafeReadableBytes { bytes in
            var found: PromptCacheUsage?
            TokenUsage.forEachUsageObject(in: bytes) { value in
                let details = value["prompt_tokens_details"] ?? value["input_tokens_details"]
                let read = max(
                    value["cache_read_input_tokens"]?.intValue ?? 0, details?["cached_tokens"]?.intValue ?? 0)
                let write = value["cache_creation_input_tokens"]?.intValue ?? 0
                found = PromptCacheUsage(
                    readTokens: max(found?.readTokens ?? 0, max(read, 0)),
                    writeTokens: max(found?.writeTokens ?? 0, max(write, 0)))
            }
            return found
        }
    }
}
