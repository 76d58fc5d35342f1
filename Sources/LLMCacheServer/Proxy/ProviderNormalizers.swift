import LLMCacheCore
import LLMCacheUpstream

/// The request normalizer of each provider, built once (not per request) with the configured
/// nesting limit.
package struct ProviderNormalizers: Sendable {
    let openAI: RequestNormalizer
    let anthropic: RequestNormalizer

    package init(maximumDepth: Int) {
        openAI = RequestNormalizer(ignoredFields: RequestNormalizer.openAI.ignoredFields, maximumDepth: maximumDepth)
        anthropic = RequestNormalizer(ignoredFields: RequestNormalizer.anthropic.ignoredFields, maximumDepth: maximumDepth)
    }

    package func `for`(_ provider: Upstream.Provider) -> RequestNormalizer {
        provider == .anthropic ? anthropic : openAI
    }
}
