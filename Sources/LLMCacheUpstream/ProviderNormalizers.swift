import LLMCacheCore

/// The request normalizer of each provider, built once (not per request) with the configured
/// nesting limit.
public struct ProviderNormalizers: Sendable {
    public let openAI: RequestNormalizer
    public let anthropic: RequestNormalizer

    public init(maximumDepth: Int) {
        openAI = RequestNormalizer(
            ignoredFields: RequestNormalizer.openAI.ignoredFields,
            ignoredUnlessStored: RequestNormalizer.openAI.ignoredUnlessStored, maximumDepth: maximumDepth)
        anthropic = RequestNormalizer(
            ignoredFields: RequestNormalizer.anthropic.ignoredFields, maximumDepth: maximumDepth)
    }

    public func `for`(_ provider: Upstream.Provider) -> RequestNormalizer {
        provider == .anthropic ? anthropic : openAI
    }
}
