import Hummingbird
import LLMCacheCore
import LLMCacheStore
import Logging
import NIOPosix

/// Stage 3: answer from the tiers, or refuse a miss the mode keeps offline.
extension ProxyPipeline {
    /// The hit that answers `lookup`; nil: go upstream.
    /// - Throws: 504 `cache_miss` (with the explanation) for a miss that must stay offline.
    func lookup(_ lookup: CacheLookup, _ exchange: ProxyExchange) async throws -> ProxyAnswer? {
        let clock = services.clock
        if lookup.readsCache, let (entry, tier) = await services.cache.get(lookup.key),
            lookup.isFresh(entry, now: clock.now())
        {
            note(lookup, status: .hit, tier: ResponseTier(tier), httpStatus: entry.status)
            if let usage = entry.usage {
                services.metrics.servedFromCache(usage: usage, model: lookup.model, prices: configuration.prices)
            }
            let paced = exchange.request.headers[ProxyHeaders.replay]?.lowercased() == "paced"
            let response = CachedResponse.response(entry, now: clock.now(), paced: paced)
            return ProxyAnswer(response, status: .hit, tier: ResponseTier(tier), key: lookup.key)
        }
        guard lookup.offline else { return nil }
        let explanation = await explainMiss(lookup, logger: exchange.logger)
        note(lookup, status: .miss, tier: .none, httpStatus: 504)
        services.endpoints.misses.record(
            lookup, offline: true, explanation: explanation.summary, at: services.clock.now())
        throw ProxyError(
            status: .gatewayTimeout, type: "cache_miss",
            message: "the mode forbids contacting the upstream, and " + explanation.summary,
            key: lookup.key.hex, explanation: explanation.json)
    }

    /// Why `lookup` missed (see `DiskTier.explainMiss`), computed on the blocking-I/O pool and
    /// logged. When the disk tier has no request of that route and model to compare, the shared
    /// tier's rows are asked (under a second's bound: the client is waiting for its 504). Without
    /// either there is nothing to compare.
    func explainMiss(_ lookup: CacheLookup, logger: Logger) async -> MissExplanation {
        var explanation = MissExplanation(
            key: lookup.key, namespace: lookup.namespace, method: lookup.recipe.method, path: lookup.recipe.path,
            model: lookup.model)
        let recipe = lookup.recipe
        let model = lookup.model
        if let disk = services.store {
            explanation =
                (try? await NIOThreadPool.singleton.runIfActive { disk.explainMiss(recipe, model: model) })
                ?? explanation
        }
        if explanation.nearest == nil, let shared = services.shared {
            explanation = await shared.explainMiss(recipe, model: model, within: .seconds(1))
        }
        logger.info(
            "cache miss explained", metadata: ["key": "\(lookup.key)", "explanation": "\(explanation.summary)"])
        return explanation
    }
}
