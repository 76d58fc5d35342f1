import Hummingbird
import LLMCacheCore
import LLMCacheStore
import Logging
import NIOPosix

/// Stage 3: answer from the tiers, or refuse a miss the mode keeps offline.
extension ProxyPipeline {
    /// What the tiers say to a request: an answer, or go upstream — with the entry that may
    /// answer instead if the upstream fails (kept past its freshness, `stale-if-error`).
    enum LookupOutcome {
        case answer(ProxyAnswer)
        case miss(fallback: (entry: CacheEntry, tier: ResponseTier)?)
    }

    /// The hit that answers `lookup`, else the miss (with its stale fallback, if any).
    /// - Throws: 504 `cache_miss` (with the explanation) for a miss that must stay offline.
    func lookup(_ lookup: CacheLookup, _ exchange: ProxyExchange) async throws -> LookupOutcome {
        let clock = services.clock
        var fallback: (entry: CacheEntry, tier: ResponseTier)?
        if lookup.readsCache, let (entry, found) = await services.cache.get(lookup.key),
            lookup.isFresh(entry, now: clock.now())
        {
            let tier = ResponseTier(found)
            let now = clock.now()
            guard let staleness = lookup.staleness(expiresAt: entry.expiresAt, now: now) else {
                return .answer(answer(entry, tier: tier, status: .hit, lookup, exchange))
            }
            if staleness <= lookup.servesStaleFor, !lookup.offline {
                refreshInBackground(lookup, exchange)
                return .answer(answer(entry, tier: tier, status: .stale, lookup, exchange, warning: Self.staleWarning))
            }
            if staleness <= lookup.staleIfErrorFor {
                // Offline (replay), the upstream is as good as failed.
                if lookup.offline {
                    return .answer(
                        answer(entry, tier: tier, status: .stale, lookup, exchange, warning: Self.failedWarning))
                }
                fallback = (entry, tier)
            }
        }
        guard lookup.offline else { return .miss(fallback: fallback) }
        // Offline, a batch whose items were all recorded (by other batches, or one by one) is
        // answered from them; with one missing, it is a miss like any other.
        if let answer = try await answerByItems(lookup, exchange) { return .answer(answer) }
        let explanation = await explainMiss(lookup, logger: exchange.logger)
        note(lookup, status: .miss, tier: .none, httpStatus: 504)
        services.endpoints.misses.record(
            lookup, offline: true, explanation: explanation.summary, at: services.clock.now())
        throw ProxyError(
            status: .gatewayTimeout, type: "cache_miss",
            message: "the mode forbids contacting the upstream, and " + explanation.summary,
            key: lookup.key.hex, explanation: explanation.json)
    }

    /// `Warning` values (RFC 7234 §5.5, as HTTP caches still send them) on a STALE answer.
    static let staleWarning = #"110 llmcache "Response is Stale""#
    static let failedWarning = #"111 llmcache "Revalidation Failed""#

    /// `entry` as this request's answer (a HIT, or STALE with its warning), counted as saved.
    func answer(
        _ entry: CacheEntry, tier: ResponseTier, status: CacheStatus, _ lookup: CacheLookup,
        _ exchange: ProxyExchange, warning: String? = nil
    ) -> ProxyAnswer {
        let now = services.clock.now()
        note(lookup, status: status, tier: tier, httpStatus: entry.status)
        if let usage = entry.usage {
            services.metrics.servedFromCache(usage: usage, model: lookup.model, prices: configuration.prices)
        }
        let paced = exchange.request.headers[ProxyHeaders.replay]?.lowercased() == "paced"
        var response = CachedResponse.response(entry, now: now, paced: paced)
        if let warning { response.headers[ProxyHeaders.warning] = warning }
        return ProxyAnswer(response, status: status, tier: tier, key: lookup.key)
    }

    /// Starts one background fetch of a stale entry's key (none while a fetch of it is in
    /// flight): it stores the fresh answer; nobody waits for it.
    private func refreshInBackground(_ lookup: CacheLookup, _ exchange: ProxyExchange) {
        guard lookup.writesCache, case .leader(let flight) = services.flights.join(lookup.key) else { return }
        guard let (_, body, _, _) = try? lead(lookup, exchange, flight: flight, shared: true, as: .refresh) else {
            return
        }
        // The fetch relays to its subscribers; this one reads and drops, so it never waits on us.
        _ = services.runner.submit {
            do { for try await _ in body {} } catch {}
        }
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
