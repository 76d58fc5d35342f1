import LLMCacheCore

/// What a model's tokens cost, in US dollars per million tokens — for the "money saved" estimate.
public struct ModelPrice: Sendable, Equatable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double
    /// Input tokens read from the provider's prompt cache (nil: not priced).
    public var cachedInputPerMillion: Double?
    /// Input tokens written to the provider's prompt cache (Anthropic; nil: not priced).
    public var cacheWritePerMillion: Double?

    public init(
        inputPerMillion: Double, outputPerMillion: Double, cachedInputPerMillion: Double? = nil,
        cacheWritePerMillion: Double? = nil
    ) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion
        self.cacheWritePerMillion = cacheWritePerMillion
    }

    /// What the provider's prompt cache took off a call's bill (cache reads priced below input)
    /// and added to it (cache writes priced above input); each nil when `usage` has such tokens
    /// and the price leaves their rate out.
    public func promptCacheDollars(_ usage: PromptCacheUsage) -> (discount: Double?, premium: Double?) {
        let discount =
            usage.readTokens == 0
            ? 0 : cachedInputPerMillion.map { Double(usage.readTokens) * (inputPerMillion - $0) / 1_000_000 }
        let premium =
            usage.writeTokens == 0
            ? 0 : cacheWritePerMillion.map { Double(usage.writeTokens) * ($0 - inputPerMillion) / 1_000_000 }
        return (discount, premium)
    }

    public func cost(of usage: TokenUsage) -> Double {
        (Double(usage.inputTokens) * inputPerMillion + Double(usage.outputTokens) * outputPerMillion) / 1_000_000
    }
}

/// Prices by model name. A name matches its own entry, else the longest entry that is a prefix of
/// it (`gpt-4o-mini` prices `gpt-4o-mini-2024-07-18`). Empty by default: prices change, and a
/// stale built-in table would report wrong savings with confidence.
public struct PriceTable: Sendable, Equatable {
    public var prices: [String: ModelPrice]

    public init(_ prices: [String: ModelPrice] = [:]) {
        self.prices = prices
    }

    public func price(for model: String) -> ModelPrice? {
        if let exact = prices[model] { return exact }
        var best: (length: Int, price: ModelPrice)?
        for (name, price) in prices where model.hasPrefix(name) && name.count > (best?.length ?? -1) {
            best = (name.count, price)
        }
        return best?.price
    }

    /// Parses `MODEL=INPUT,OUTPUT[,CACHED_INPUT[,CACHE_WRITE]]` (dollars per million input and
    /// output tokens, and optionally per million input tokens read from and written to the
    /// provider's prompt cache).
    public static func parseEntry(_ text: String) throws(PriceTableError) -> (model: String, price: ModelPrice) {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw PriceTableError(
                "price \"\(text)\" must look like MODEL=INPUT,OUTPUT[,CACHED_INPUT[,CACHE_WRITE]] (dollars per million tokens)"
            )
        }
        let fields = parts[1].split(separator: ",", omittingEmptySubsequences: false)
        let numbers = fields.compactMap { Double($0) }.filter { $0 >= 0 && $0.isFinite }
        guard (2...4).contains(fields.count), numbers.count == fields.count else {
            throw PriceTableError(
                "price \"\(text)\": INPUT, OUTPUT (and CACHED_INPUT, CACHE_WRITE if given) must be non-negative numbers, e.g. gpt-4o-mini=0.15,0.60,0.075"
            )
        }
        return (
            String(parts[0]),
            ModelPrice(
                inputPerMillion: numbers[0], outputPerMillion: numbers[1],
                cachedInputPerMillion: numbers.count > 2 ? numbers[2] : nil,
                cacheWritePerMillion: numbers.count > 3 ? numbers[3] : nil)
        )
    }
}

public struct PriceTableError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
