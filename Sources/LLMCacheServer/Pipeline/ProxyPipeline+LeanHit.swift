import HTTPTypes
import Hummingbird
import LLMCacheCore
import Logging
import NIOCore

/// The lean path: stages 1–3 for a request whose body has been read, all synchronous, so that a
/// hit that needs no waiting — in L1, or a small record in the disk tier (read and decoded on the
/// event loop, as nginx reads its cache files) — is answered without a task
/// (``LeanHitHandler``). It decides only what it can decide exactly as the full pipeline would;
/// anything else — a plugin that must see the request or the answer, a request the pipeline
/// would refuse (its error is described there), a paced replay, `max-age`, a miss in both — is
/// nil, and the request goes through ``ProxyPipeline/run(_:logger:notes:)`` as before. Nothing
/// is counted for a nil (``TieredCache/hitWithoutWaiting(_:)`` counts only hits), so the full
/// pipeline counts the miss once.
extension ProxyPipeline {
    /// A hit, ready to write.
    struct LeanHit {
        var head: HTTPResponse
        /// The stored answer, as L1 holds it (its body is written from there).
        let answer: PackedEntry
        /// A stream's stored chunks (each is written as its own HTTP chunk, at once); nil for a
        /// complete body (written with its length).
        let chunks: [StreamChunk]?
    }

    /// The hit that answers `head` with `body`; nil: run the full pipeline.
    func leanHit(_ head: HTTPRequest, body: ByteBuffer, logger: Logger) -> LeanHit? {
        guard !plugins.uses(.beforeLookup), !plugins.uses(.afterResponse),
            body.readableBytes <= configuration.maximumRequestBytes, let path = head.path
        else { return nil }
        let memoized = !plugins.uses(.keyRules)
        let generation = services.tenantScopes.generation
        let lookup: CacheLookup
        var remembered = false
        if memoized,
            let known = lookups.lookup(
                path: path, fields: head.headerFields, body: body, tenantGeneration: generation)
        {
            lookup = known
            remembered = true
        } else {
            guard
                let computed = self.lookup(
                    for: Request(head: head, body: RequestBody(buffer: body)), body: body, logger: logger)
            else { return nil }
            lookup = computed
        }
        // An entry kept past its freshness (stale windows) is the full pipeline's to decide.
        let aliveAt = lookup.retention > .zero ? services.clock.now().adding(lookup.retention) : nil
        guard let (entry, found) = services.cache.hitWithoutWaiting(lookup.key, aliveAt: aliveAt) else { return nil }
        let tier = ResponseTier(found)
        if memoized, !remembered {
            lookups.remember(lookup, path: path, fields: head.headerFields, body: body, tenantGeneration: generation)
        }
        note(lookup, status: .hit, tier: tier, httpStatus: entry.status)
        if let usage = entry.usage {
            services.metrics.servedFromCache(usage: usage, model: lookup.model, prices: configuration.prices)
        }
        var (status, headers) = services.answerHeads.head(for: lookup.key, entry: entry, tier: tier)
        headers[ProxyHeaders.age] = String(CachedResponse.age(since: entry.createdAt, now: services.clock.now()))
        return LeanHit(head: HTTPResponse(status: status, headerFields: headers), answer: entry, chunks: entry.chunks)
    }

    /// Stages 1–2 for the lean path: the lookup of a request the cache may answer; nil for
    /// anything the full pipeline must decide (its errors included).
    private func lookup(for original: Request, body: ByteBuffer, logger: Logger) -> CacheLookup? {
        guard let request = try? NamespacePath.rewrite(original),
            request.headers[ProxyHeaders.replay] == nil,
            let route = try? route(request), route.caches(method: request.method.rawValue, path: request.uri.path),
            let mode = try? requestMode(request), mode != .passthrough
        else { return nil }
        let exchange = ProxyExchange(request: request, body: body, route: route, mode: mode, logger: logger)
        // A sampled request's index is chosen once, by the full pipeline.
        guard let lookup = try? key(exchange), lookup.readsCache, lookup.maxAge == nil, lookup.sample == nil else {
            return nil
        }
        return lookup
    }
}
