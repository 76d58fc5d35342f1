import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheStore
import LLMCacheUpstream
import Logging
import NIOCore
import NIOPosix

/// The proxy: routes a request, computes its key, answers from the cache or fetches from the
/// upstream (streaming the answer to the client while capturing it), and stores complete 2xx
/// answers. Bad input gets a JSON error; nothing a client sends is allowed to crash the process.
///
/// Each request reads the runtime state (configuration, normalizers, plugins) once, so a reload
/// never changes the rules halfway through a request.
struct ProxyResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let runtime: ProxyRuntime
    /// This request's snapshot (set in `respond`).
    private(set) var configuration: ProxyConfiguration
    private(set) var normalizers: ProviderNormalizers
    private(set) var plugins: PluginChain
    let cache: TieredCache
    let client: UpstreamClient
    let tenantSecret: [UInt8]
    let clock: any WallClock
    let flights: SingleFlight
    let runner: FetchRunner
    let tenantScopes: TenantScopeCache
    let manifest: ManifestWriter?
    let metrics: ProxyMetrics
    let endpoints: ObservabilityEndpoints
    let governor: MemoryGovernor?
    let hooks: PluginRunner

    init(
        runtime: ProxyRuntime, cache: TieredCache, client: UpstreamClient, tenantSecret: [UInt8], clock: any WallClock,
        flights: SingleFlight, runner: FetchRunner, tenantScopes: TenantScopeCache, manifest: ManifestWriter?,
        metrics: ProxyMetrics, endpoints: ObservabilityEndpoints, governor: MemoryGovernor?, hooks: PluginRunner
    ) {
        let state = runtime.current
        self.runtime = runtime
        self.configuration = state.configuration
        self.normalizers = state.normalizers
        self.plugins = state.plugins
        self.cache = cache
        self.client = client
        self.tenantSecret = tenantSecret
        self.clock = clock
        self.flights = flights
        self.runner = runner
        self.tenantScopes = tenantScopes
        self.manifest = manifest
        self.metrics = metrics
        self.endpoints = endpoints
        self.governor = governor
        self.hooks = hooks
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        if let response = endpoints.response(method: request.method, path: request.uri.path) { return response }
        let started = ContinuousClock.now
        var handler = self
        let state = runtime.current
        handler.configuration = state.configuration
        handler.normalizers = state.normalizers
        handler.plugins = state.plugins
        var notes = RequestNotes()
        let answer: ProxyAnswer
        do {
            answer = try await handler.handle(request, context: context, notes: &notes)
        } catch let error as ProxyError {
            answer = ProxyAnswer(error: error)
        }
        var response = answer.response
        let status = response.status.code < 400 ? answer.status : .error
        let nanoseconds = Self.nanoseconds(since: started)
        metrics.requestFinished(status: status, nanoseconds: nanoseconds)
        if handler.plugins.uses(.afterResponse) {
            let event = ResponseEvent(
                method: request.method.rawValue, path: request.uri.path, cacheStatus: status.rawValue,
                tier: answer.tier.rawValue, httpStatus: response.status.code, durationNanoseconds: nanoseconds,
                key: notes.key, model: notes.model, namespace: notes.namespace, requestBody: notes.body)
            do {
                for plugin in handler.plugins.plugins(for: .afterResponse) {
                    _ = try await hooks.run(plugin, .afterResponse) { try await plugin.plugin.afterResponse(event) }
                }
            } catch {
                response = error.response
            }
        }
        return response
    }

    static func nanoseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }

    private func handle(_ request: Request, context: Context, notes: inout RequestNotes) async throws -> ProxyAnswer {
        let path = request.uri.path
        guard let route = configuration.routes.route(for: path) else {
            throw ProxyError(status: .notFound, type: "not_found", message: "no route for \(path)")
        }
        var request = request
        var body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maximumRequestBytes)
        } catch {
            throw ProxyError(
                status: .contentTooLarge, type: "request_too_large",
                message: "request body exceeds \(configuration.maximumRequestBytes) bytes")
        }
        notes.body = body
        var bypass = false
        if plugins.uses(.beforeLookup) {
            switch try await beforeLookup(request, body: body, route: route) {
            case .answer(let response): return ProxyAnswer(response, status: .plugin, tier: .plugin)
            case .proceed(let changed, let changedBody, let bypassing):
                request = changed
                body = changedBody
                bypass = bypassing
            }
        }
        let mode = try requestMode(request)
        guard route.cacheable, request.method == .post, mode != .passthrough, !bypass else {
            return ProxyAnswer(try await forward(request, body: body, route: route, context: context), status: .bypass, tier: .upstream)
        }
        if let contentType = request.headers[.contentType]?.lowercased(), !contentType.hasPrefix("application/json"),
            !contentType.contains("+json")
        {
            throw ProxyError(
                status: .unsupportedMediaType, type: "unsupported_media_type",
                message: "expected application/json, got \(contentType)")
        }
        var normalized: (value: JSONValue, canonical: [UInt8])
        do {
            normalized = try normalizers.for(route.upstream.provider).normalize(body.readableBytesView)
        } catch let error as JSONParseError {
            throw ProxyError.badRequest("request body is not valid JSON: \(error)")
        }
        if plugins.uses(.keyRules) {
            normalized = try rewriteKey(normalized.value, request: request, route: route)
        }
        let lookup = try CacheLookup(
            request: request, route: route, canonical: normalized.canonical,
            model: normalized.value["model"]?.stringValue ?? "", mode: mode, responder: self)
        notes.key = lookup.key.hex
        notes.model = lookup.model
        notes.namespace = lookup.namespace

        if lookup.readsCache, let (entry, tier) = cache.get(lookup.key), lookup.isFresh(entry, now: clock.now()) {
            note(lookup, status: .hit, tier: ResponseTier(tier), httpStatus: entry.status)
            if let usage = entry.usage { metrics.servedFromCache(usage: usage, model: lookup.model, prices: configuration.prices) }
            let response = CachedResponse.response(
                entry, now: clock.now(), paced: request.headers[ProxyHeaders.replay]?.lowercased() == "paced")
            return ProxyAnswer(response, status: .hit, tier: ResponseTier(tier), key: lookup.key)
        }
        if lookup.offline {
            let explanation = await explainMiss(lookup, context: context)
            note(lookup, status: .miss, tier: .none, httpStatus: 504)
            throw ProxyError(
                status: .gatewayTimeout, type: "cache_miss",
                message: "the mode forbids contacting the upstream, and " + explanation.summary,
                key: lookup.key.hex, explanation: explanation.json)
        }
        // Explained before the fetch, which may store the very answer it would be compared with.
        let reason = lookup.explains ? await explainMiss(lookup, context: context).summary : nil
        var response: Response
        let status: CacheStatus
        do {
            (response, status) = try await fetch(request, body: body, route: route, lookup: lookup, context: context)
        } catch let error as ProxyError {
            note(lookup, status: .miss, tier: .upstream, httpStatus: error.status.code)
            throw error
        }
        if let reason, status == .miss {
            response.headers[ProxyHeaders.missReason] = ProxyHeaders.headerSafe(reason)
        }
        note(lookup, status: status, tier: .upstream, httpStatus: response.status.code)
        return ProxyAnswer(response, status: status, tier: .upstream, key: lookup.key)
    }

    /// Adds the request to the run manifest, if one is kept.
    private func note(_ lookup: CacheLookup, status: CacheStatus, tier: ResponseTier, httpStatus: Int) {
        manifest?.record(
            ManifestRecord(
                time: clock.now(), key: lookup.key, method: lookup.recipe.method, path: lookup.recipe.path,
                model: lookup.model, namespace: lookup.namespace, status: status.rawValue, tier: tier.rawValue,
                httpStatus: httpStatus))
    }

    /// Why `lookup` missed (see `DiskTier.explainMiss`), computed on the blocking-I/O pool and
    /// logged. Without a disk tier there is nothing to compare.
    private func explainMiss(_ lookup: CacheLookup, context: Context) async -> MissExplanation {
        var explanation = MissExplanation(
            key: lookup.key, namespace: lookup.namespace, method: lookup.recipe.method, path: lookup.recipe.path,
            model: lookup.model)
        if let disk = cache.disk {
            let recipe = lookup.recipe
            let model = lookup.model
            explanation = (try? await NIOThreadPool.singleton.runIfActive { disk.explainMiss(recipe, model: model) })
                ?? explanation
        }
        context.logger.info("cache miss explained", metadata: ["key": "\(lookup.key)", "explanation": "\(explanation.summary)"])
        return explanation
    }

    private func requestMode(_ request: Request) throws -> CacheMode {
        guard let value = request.headers[ProxyHeaders.mode] else { return configuration.mode }
        guard let mode = CacheMode(rawValue: value.lowercased()) else {
            throw ProxyError.badRequest("x-llmcache-mode must be one of \(CacheMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return mode
    }

    /// Proxies without touching the cache.
    private func forward(
        _ request: Request, body: ByteBuffer, route: RouteTable.Route, context: Context
    ) async throws -> Response {
        let upstream = try await send(request, body: body, route: route, context: context)
        return Response(
            status: .init(code: upstream.status), headers: ProxyHeaders.fields(upstream.headers),
            body: ResponseBody(asyncSequence: upstream.body))
    }

    /// Fetches a miss (or a refresh) from the upstream — or joins the fetch already running for
    /// the same key — relays it as it arrives, and stores it when it is complete.
    private func fetch(
        _ request: Request, body: ByteBuffer, route: RouteTable.Route, lookup: CacheLookup, context: Context
    ) async throws -> (Response, CacheStatus) {
        let flight: Flight
        var status: CacheStatus = lookup.refresh ? .refresh : .miss
        if lookup.refresh {
            // no-cache / record: a fresh answer of its own, not shared.
            flight = Flight()
            try startFetch(flight, request: request, body: body, route: route, lookup: lookup, context: context, shared: false)
        } else {
            switch flights.join(lookup.key) {
            case .leader(let leading):
                flight = leading
                try startFetch(flight, request: request, body: body, route: route, lookup: lookup, context: context, shared: true)
            case .follower(let following):
                flight = following
                status = .coalesced
            }
        }
        // Subscribe before anything arrives, so no chunk is missed even if the answer grows too
        // large for the flight to keep for late joiners.
        let chunks = flight.body()
        let head = try await flight.head()
        let headers = ProxyHeaders.fields(head.headers)
        if !ProxyHeaders.isEventStream(head.headers), let whole = try await flight.completeBody() {
            // A complete body goes out in one write, with a content length.
            return (Response(status: .init(code: head.status), headers: headers, body: ResponseBody(byteBuffer: whole)), status)
        }
        let response = Response(
            status: .init(code: head.status), headers: headers,
            body: ResponseBody { writer in
                for try await chunk in chunks { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
        return (response, status)
    }

    /// Hands the fetch to the runner, where it outlives the request that started it.
    private func startFetch(
        _ flight: Flight, request: Request, body: ByteBuffer, route: RouteTable.Route, lookup: CacheLookup,
        context: Context, shared: Bool
    ) throws {
        let started = ContinuousClock.now
        let job: @Sendable () async -> Void = { [self] in
            defer { if shared { flights.close(lookup.key, flight) } }
            let upstream: UpstreamClient.Response
            do {
                upstream = try await send(request, body: body, route: route, context: context, retrying: true)
            } catch let error as ProxyError {
                flight.finish(.failure(error))
                return
            } catch {
                flight.finish(.failure(ProxyError(status: .badGateway, type: "upstream_error", message: "\(error)")))
                return
            }
            flight.deliver(head: .init(status: upstream.status, headers: upstream.headers))
            let createdAt = clock.now()
            let isStream = ProxyHeaders.isEventStream(upstream.headers)
            // Under hard memory pressure very large answers are relayed without being buffered.
            let storable =
                governor?.level == .hard
                ? min(configuration.maximumStoredResponseBytes, configuration.maximumStoredResponseBytesUnderPressure)
                : configuration.maximumStoredResponseBytes
            var capture = StreamCapture(start: started, maximumBytes: storable)
            do {
                for try await chunk in upstream.body {
                    capture.append(chunk, at: .now)
                    if !capture.storable {
                        // Too large to store or to replay to late joiners: relay only.
                        if shared { flights.close(lookup.key, flight) }
                        flight.stopRetaining()
                    }
                    flight.deliver(chunk: chunk)
                }
            } catch {
                context.logger.warning("upstream body failed; not stored", metadata: ["key": "\(lookup.key)", "error": "\(error)"])
                flight.finish(.failure(ProxyError(status: .badGateway, type: "upstream_cut", message: "\(error)")))
                return
            }
            if lookup.writesCache, (200..<300).contains(upstream.status), capture.storable, !isStream || capture.isComplete {
                let entry = CacheEntry(
                    namespace: lookup.namespace, status: upstream.status, headers: upstream.headers.filter(\.isStorable),
                    body: capture.body, bodyKind: isStream ? .stream(chunks: capture.chunks) : .complete,
                    canonicalRequest: ByteBuffer(bytes: lookup.canonical), recipeVersion: CacheKeyRecipe.version,
                    request: lookup.recipe.storedRequest(model: lookup.model),
                    createdAt: createdAt, expiresAt: lookup.expiresAt(from: createdAt))
                let stored: CacheEntry?
                do {
                    stored = plugins.uses(.beforeStore) ? try await beforeStore(entry, lookup: lookup) : entry
                } catch {
                    // A critical plugin failed: the answer is relayed, not stored.
                    stored = nil
                }
                if let stored { cache.put(lookup.key, stored) }
            }
            flight.finish(.success(()))
        }
        guard runner.submit(job) else {
            if shared { flights.close(lookup.key, flight) }
            throw ProxyError(status: .serviceUnavailable, type: "shutting_down", message: "the proxy is shutting down")
        }
    }

    private func send(
        _ request: Request, body: ByteBuffer, route: RouteTable.Route, context: Context, retrying: Bool = false
    ) async throws -> UpstreamClient.Response {
        var pathAndQuery = request.uri.path
        if let query = request.uri.query, !query.isEmpty { pathAndQuery += "?" + query }
        let upstreamBody = body.readableBytes > 0 || request.method == .post ? body : nil
        let candidates = retrying ? [route.upstream] + route.fallbacks : [route.upstream]
        var lastFailure: UpstreamClient.Failure?
        for (index, upstream) in candidates.enumerated() {
            let isLast = index == candidates.count - 1
            var headers = ProxyHeaders.forwardable(request.headers, credential: upstream.credential)
            if let credential = upstream.credential {
                headers.append(
                    upstream.provider == .anthropic
                        ? HeaderField(name: "x-api-key", value: credential)
                        : HeaderField(name: "authorization", value: "Bearer \(credential)"))
            }
            let started = ContinuousClock.now
            do {
                if let name = upstream.customProvider {
                    let response = try await viaProvider(
                        name, UpstreamRequest(
                            upstream: upstream, method: request.method.rawValue, pathAndQuery: pathAndQuery, headers: headers,
                            body: upstreamBody))
                    noteUpstream(upstream, response: response, started: started)
                    if response.status >= 500 { await upstreamAnswered5xx(response, upstream: upstream, request: request) }
                    if isLast || !retrying || !RetryPolicy.isRetryable(status: response.status) { return response }
                    for try await _ in response.body {}
                    continue
                }
                if !retrying {
                    let response = try await client.send(
                        to: upstream, method: request.method.rawValue, pathAndQuery: pathAndQuery, headers: headers,
                        body: upstreamBody, logger: context.logger)
                    noteUpstream(upstream, response: response, started: started)
                    return response
                }
                let response = try await client.sendRetrying(
                    to: upstream, method: request.method.rawValue, pathAndQuery: pathAndQuery, headers: headers,
                    body: upstreamBody, logger: context.logger
                ).response
                noteUpstream(upstream, response: response, started: started)
                if response.status >= 500 { await upstreamAnswered5xx(response, upstream: upstream, request: request) }
                if isLast || !RetryPolicy.isRetryable(status: response.status) { return response }
                for try await _ in response.body {}  // give up on this upstream, try the next
                context.logger.warning("upstream failing, trying fallback", metadata: ["upstream": "\(upstream.id)", "status": "\(response.status)"])
            } catch let failure as UpstreamClient.Failure {
                let kind: String
                switch failure {
                case .timeout: kind = "timeout"
                case .unreachable: kind = "unreachable"
                }
                metrics.upstreamCall(upstream.id, nanoseconds: nil, error: kind)
                lastFailure = failure
                if !isLast {
                    context.logger.warning("upstream failing, trying fallback", metadata: ["upstream": "\(upstream.id)", "error": "\(failure)"])
                }
            }
        }
        if plugins.uses(.upstreamError) {
            let kind: String
            switch lastFailure {
            case .timeout?: kind = "timeout"
            default: kind = "unreachable"
            }
            await upstreamFailed(
                UpstreamErrorEvent(
                    upstream: route.upstream.id, method: request.method.rawValue, path: request.uri.path, kind: kind, status: nil,
                    message: lastFailure.map { "\($0)" } ?? "no upstream answered"))
        }
        switch lastFailure {
        case .timeout(let detail)?:
            throw ProxyError(status: .gatewayTimeout, type: "upstream_timeout", message: detail)
        case .unreachable(let detail)?:
            throw ProxyError(status: .badGateway, type: "upstream_unreachable", message: detail)
        case nil:
            throw ProxyError(status: .badGateway, type: "upstream_unreachable", message: "no upstream answered")
        }
    }

    private func noteUpstream(_ upstream: Upstream, response: UpstreamClient.Response, started: ContinuousClock.Instant) {
        metrics.upstreamCall(
            upstream.id, nanoseconds: Self.nanoseconds(since: started),
            error: response.status >= 500 ? "status_5xx" : nil)
    }
}
