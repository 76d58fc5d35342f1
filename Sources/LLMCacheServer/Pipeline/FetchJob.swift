import LLMCacheCore
import LLMCacheShared
import LLMCacheStore
import LLMCacheUpstream
import NIOCore

/// Stage 5, the back half of a miss: **send** the request upstream (with retries and
/// fallbacks), **tee** the answer into the flight while capturing it, **store** it when it is
/// complete, storable and a 2xx. Runs on the ``FetchRunner``, so it outlives the request that
/// started it; every path ends the flight.
struct FetchJob: Sendable {
    let pipeline: ProxyPipeline
    let exchange: ProxyExchange
    let lookup: CacheLookup
    let flight: Flight
    /// Other requests may follow this flight (false for a refresh).
    let shared: Bool
    /// This instance's lease of the key across instances (released when the fetch ends).
    var lease: SharedLease?
    let started = ContinuousClock.now

    private var services: ProxyServices { pipeline.services }

    func run() async {
        await fetch()
        await lease?.release()
    }

    private func fetch() async {
        defer { closeToFollowers() }
        guard let upstream = await send() else { return }
        flight.deliver(head: .init(status: upstream.status, headers: upstream.headers))
        let createdAt = services.clock.now()
        guard let capture = await tee(upstream.body) else { return }
        if let capture {
            countPromptCache(upstream, capture: capture)
            await store(upstream, capture: capture, createdAt: createdAt)
        }
        // Closed before it ends: a client that has seen the end and asks again finds the stored
        // answer (HIT), never this finished flight (COALESCED).
        closeToFollowers()
        flight.finish(.success(()))
    }

    /// The fetch could not start: no request may follow it (the lease expires by itself).
    func abandon() { closeToFollowers() }

    private func closeToFollowers() {
        if shared { services.flights.close(lookup.key, flight) }
    }

    /// The upstream's answer; nil when it failed (the flight has the error).
    private func send() async -> UpstreamClient.Response? {
        do {
            return try await pipeline.send(exchange, retrying: true)
        } catch let error as ProxyError {
            flight.finish(.failure(error))
        } catch {
            flight.finish(.failure(ProxyError(status: .badGateway, type: "upstream_error", message: "\(error)")))
        }
        return nil
    }

    /// Relays every chunk to the flight while capturing it: the capture, `.some(nil)` when the
    /// answer was too large to capture, nil when the body broke off, timed out or lost its last
    /// client (the flight has the error).
    private func tee(_ body: UpstreamBody) async -> StreamCapture?? {
        let configuration = pipeline.configuration
        // Under hard memory pressure very large answers are relayed without being buffered.
        let storable =
            services.governor?.level == .hard
            ? min(configuration.maximumStoredResponseBytes, configuration.maximumStoredResponseBytesUnderPressure)
            : configuration.maximumStoredResponseBytes
        let relay = UpstreamRelay(client: services.client, flight: flight, started: started)
        do {
            return try await relay.run(
                body, capture: StreamCapture(start: started, maximumBytes: storable),
                stopsRetaining: { [self] in closeToFollowers() })
        } catch {
            let failure = UpstreamRelay.failure(error)
            exchange.logger.log(
                level: error is UpstreamRelay.Abandoned ? .debug : .warning, "upstream answer not stored",
                metadata: ["key": "\(lookup.key)", "error": "\(failure.message)"])
            flight.finish(.failure(failure))
            return nil
        }
    }

    /// What the provider's own prompt cache did on this call, from the answer's usage.
    private func countPromptCache(_ upstream: UpstreamClient.Response, capture: StreamCapture) {
        guard (200..<300).contains(upstream.status), let usage = PromptCacheUsage.extract(from: capture.body) else {
            return
        }
        services.metrics.upstreamAnswered(
            promptCache: usage, model: lookup.model, prices: pipeline.configuration.prices)
    }

    /// Stores a complete 2xx answer the request may write, after the before-store plugins.
    private func store(_ upstream: UpstreamClient.Response, capture: StreamCapture, createdAt: Timestamp) async {
        let isStream = ProxyHeaders.isEventStream(upstream.headers)
        guard lookup.writesCache, (200..<300).contains(upstream.status) else { return }
        if let refusal = AnswerValidation.refusal(body: capture.body, isStream: isStream) {
            services.metrics.storeRefused(refusal)
            exchange.logger.warning(
                "answer not stored", metadata: ["key": "\(lookup.key)", "reason": "\(refusal.rawValue)"])
            return
        }
        let entry = CacheEntry(
            namespace: lookup.namespace, status: upstream.status, headers: upstream.headers.filter(\.isStorable),
            body: capture.body, bodyKind: isStream ? .stream(chunks: capture.chunks) : .complete,
            canonicalRequest: ByteBuffer(bytes: lookup.canonical), recipeVersion: CacheKeyRecipe.version,
            request: lookup.recipe.storedRequest(model: lookup.model),
            createdAt: createdAt, expiresAt: lookup.expiresAt(from: createdAt))
        let stored: CacheEntry?
        do {
            stored = pipeline.plugins.uses(.beforeStore) ? try await pipeline.beforeStore(entry, lookup: lookup) : entry
        } catch {
            // A critical plugin failed: the answer is relayed, not stored.
            stored = nil
        }
        guard let stored else { return }
        await services.cache.put(lookup.key, stored)
        if let batch = pipeline.embeddingBatch(lookup) {
            await pipeline.storeItems(
                batch, answer: stored.body, headers: stored.headers, lookup: lookup, createdAt: createdAt)
        }
    }
}
