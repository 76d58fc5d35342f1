import LLMCacheCore

/// The provider's own prompt caching, counted on the calls that went upstream and priced from the
/// same table as the proxy's savings — reported apart from them, so neither is mistaken for the
/// other (an answer from the proxy's cache saved its whole price; a provider cache read only
/// discounted part of a call that was still paid for).
extension ProxyMetrics {
    /// Upstream answers with usage, the provider's cache reads and writes among their input
    /// tokens, and what they took off (reads) and added to (writes) the bill.
    public struct PromptCacheSavings: Sendable, Equatable {
        /// Upstream answers that stated their usage.
        public var calls = 0
        public var readTokens = 0
        public var writeTokens = 0
        /// Dollars the provider's cache reads took off (input price − cached-input price).
        public var discountDollars = 0.0
        /// Dollars the provider's cache writes added (cache-write price − input price).
        public var premiumDollars = 0.0
        /// Calls with cache reads or writes whose model has no price for them.
        public var unpriced = 0

        public var netDollars: Double { discountDollars - premiumDollars }

        mutating func record(_ usage: PromptCacheUsage, discount: Double?, premium: Double?) {
            calls += 1
            readTokens += usage.readTokens
            writeTokens += usage.writeTokens
            if let discount { discountDollars += discount }
            if let premium { premiumDollars += premium }
            if discount == nil || premium == nil { unpriced += 1 }
        }
    }

    /// An upstream answer stated its usage: what the provider's prompt cache did on it (priced
    /// from `prices` — the request's configuration's — when the model's price has the rates).
    func upstreamAnswered(promptCache usage: PromptCacheUsage, model: String, prices: PriceTable) {
        let price = prices.price(for: model)
        let dollars = price?.promptCacheDollars(usage)
        let discount = usage.readTokens == 0 ? 0 : dollars?.discount
        let premium = usage.writeTokens == 0 ? 0 : dollars?.premium
        counts.withLock {
            $0.promptCache.record(usage, discount: discount, premium: premium)
            let name =
                $0.promptCacheByModel[model] != nil || $0.promptCacheByModel.count < Self.maximumModels
                ? model : Self.otherModels
            $0.promptCacheByModel[name, default: PromptCacheSavings()].record(
                usage, discount: discount, premium: premium)
        }
        if usage.readTokens > 0 { promptCacheReadTokens.increment(by: usage.readTokens) }
        if usage.writeTokens > 0 { promptCacheWriteTokens.increment(by: usage.writeTokens) }
        if let discount, discount > 0 { promptCacheDiscount.increment(by: discount) }
        if let premium, premium > 0 { promptCachePremium.increment(by: premium) }
    }
}
