import LLMCacheCore

/// What a model's tokens cost, in US dollars per million tokens — for the "money saved" estimate.
public struct ModelPrice: Sendable, Equatable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double

    public init(inputPerMillion: Double, outputPerMillion: Double) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
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

    /// Parses `MODEL=INPUT,OUTPUT` (dollars per million input and output tokens).
    public static func parseEntry(_ text: String) throws(PriceTableError) -> (model: String, price: ModelPrice) {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw PriceTableError("price \"\(text)\" must look like MODEL=INPUT,OUTPUT (dollars per million tokens)")
        }
        let numbers = parts[1].split(separator: ",", omittingEmptySubsequences: false)
        guard numbers.count == 2, let input = Double(numbers[0]), let output = Double(numbers[1]),
            input >= 0, output >= 0, input.isFinite, output.isFinite
        else {
            throw PriceTableError(
                "price \"\(text)\": INPUT and OUTPUT must be non-negative numbers, e.g. gpt-4o-mini=0.15,0.60")
        }
        return (String(parts[0]), ModelPrice(inputPerMillion: input, outputPerMillion: output))
    }
}

public struct PriceTableError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
