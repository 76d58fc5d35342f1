import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCachePlugins
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
        let nanoseconds = started.nanosecondsElapsed
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
            return ProxyAnswer(
                try await forward(request, body: body, route: route, context: context), status: .bypass, tier: .upstream
            )
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
            if let usage = entry.usage {
                metrics.servedFromCache(usage: usage, model: lookup.model, prices: configuration.prices)
            }
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
            explanation =
                (try? await NIOThreadPool.singleton.runIfActive { disk.explainMiss(recipe, model: model) })
                ?? explanation
        }
        context.logger.info(
            "cache miss explained", metadata: ["key": "\(lookup.key)", "explanation": "\(explanation.summary)"])
        return explanation
    }

    private func requestMode(_ request: Request) throws -> CacheMode {
        guard let value = request.headers[ProxyHeaders.mode] else { return configuration.mode }
        guard let mode = CacheMode(rawValue: value.lowercased()) else {
            throw ProxyError.badRequest(
                "x-llmcache-mode must be one of \(CacheMode.allCases.map(\.rawValue).joined(separator: ", "))")
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
}
