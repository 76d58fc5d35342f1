import Hummingbird
import LLMCacheCore
import LLMCachePlugins
import LLMCacheUpstream
import Logging

/// The proxy's request pipeline for one request: the shared services and the runtime snapshot
/// the request took when it started (a reload never changes the rules halfway through). Its
/// stages, in order, each in its own file:
///
/// 1. **admit** (`+Admit`): route, read the body, run the before-lookup plugins, choose the mode;
///    a bypassed request is forwarded as it is.
/// 2. **key** (`+Key`): normalize the body, apply the key rules, compute the ``CacheLookup``.
/// 3. **lookup** (`+Lookup`): answer from the tiers, or refuse an offline miss.
/// 4. **coalesce** (`+Coalesce`): lead a new fetch or follow the one in flight for the key.
/// 5. **fetch** (``FetchJob``): send → tee → store, outliving the request that started it.
/// 6. **respond** (`+Coalesce`): relay the flight's answer to this client.
struct ProxyPipeline: Sendable {
    let services: ProxyServices
    let configuration: ProxyConfiguration
    let normalizers: ProviderNormalizers
    let plugins: PluginChain
    let lookups: LookupMemo

    init(services: ProxyServices, state: RuntimeState) {
        self.services = services
        self.configuration = state.configuration
        self.normalizers = state.normalizers
        self.plugins = state.plugins
        self.lookups = state.lookups
    }

    /// Runs the stages; a `ProxyError` thrown by any of them is the request's answer.
    func run(_ request: Request, logger: Logger, notes: inout RequestNotes) async throws -> ProxyAnswer {
        let exchange: ProxyExchange
        switch try await admit(request, logger: logger, notes: &notes) {
        case .answered(let answer): return answer
        case .bypass(let bypassed): return try await forward(bypassed)
        case .cacheable(let admitted): exchange = admitted
        }
        let lookup = choosingSample(try key(exchange))
        notes.record(lookup)
        var answer = try await serve(lookup, exchange, logger: logger)
        if let index = lookup.sampleIndex { answer.response.headers[SampleRequest.header] = String(index) }
        return answer
    }

    /// Stages 3–6 for a request whose lookup is known.
    private func serve(_ lookup: CacheLookup, _ exchange: ProxyExchange, logger: Logger) async throws -> ProxyAnswer {
        let fallback: (entry: CacheEntry, tier: ResponseTier)?
        switch try await self.lookup(lookup, exchange) {
        case .answer(let answer): return answer
        case .miss(let stale): fallback = stale
        }
        if let answer = try await answerByItems(lookup, exchange) { return answer }
        let missedAt = services.clock.now()
        // Explained before the fetch, which may store the very answer it would be compared with.
        let reason = lookup.explains ? await explainMiss(lookup, logger: logger).summary : nil
        var (answer, status): (ProxyAnswer, CacheStatus)
        do {
            let (flight, body, joined, tier) = try await coalesce(lookup, exchange)
            status = joined
            let response = try await respond(from: flight, body: body)
            let source = try await flight.head().tier.map(ResponseTier.init(rawValue:)) ?? tier
            answer = ProxyAnswer(response, status: status, tier: source, key: lookup.key)
        } catch let error as ProxyError {
            if let fallback, Self.upstreamFailed(error.status.code) {
                return self.answer(
                    fallback.entry, tier: fallback.tier, status: .stale, lookup, exchange, warning: Self.failedWarning)
            }
            note(lookup, status: .miss, tier: .upstream, httpStatus: error.status.code)
            services.endpoints.misses.record(lookup, offline: false, explanation: reason, at: missedAt)
            throw error
        }
        if let fallback, Self.upstreamFailed(answer.response.status.code) {
            // The upstream answered 5xx or 429 after its retries and fallbacks: the stale entry.
            return self.answer(
                fallback.entry, tier: fallback.tier, status: .stale, lookup, exchange, warning: Self.failedWarning)
        }
        if let reason, status == .miss {
            answer.response.headers[ProxyHeaders.missReason] = ProxyHeaders.headerSafe(reason)
        }
        note(lookup, status: status, tier: answer.tier, httpStatus: answer.response.status.code)
        if status == .miss {
            services.endpoints.misses.record(lookup, offline: false, explanation: reason, at: missedAt)
        }
        return answer
    }

    /// Whether an answer's status means the upstream failed, for `stale-if-error`: a server
    /// error (the proxy's own 502/504 for unreachable and timed-out upstreams included) or 429.
    static func upstreamFailed(_ status: Int) -> Bool {
        status >= 500 || status == 429
    }

    /// Adds the request to the run manifest, if one is kept.
    func note(_ lookup: CacheLookup, status: CacheStatus, tier: ResponseTier, httpStatus: Int) {
        services.manifest?.record(
            ManifestRecord(
                time: services.clock.now(), key: lookup.key, method: lookup.recipe.method, path: lookup.recipe.path,
                model: lookup.model, namespace: lookup.namespace, status: status.rawValue, tier: tier.rawValue,
                httpStatus: httpStatus))
    }
}
