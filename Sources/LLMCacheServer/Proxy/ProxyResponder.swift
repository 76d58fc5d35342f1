import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheStore
import LLMCacheUpstream
import Logging
import NIOCore

/// The proxy: routes a request, computes its key, answers from the cache or fetches from the
/// upstream (streaming the answer to the client while capturing it), and stores complete 2xx
/// answers. Bad input gets a JSON error; nothing a client sends is allowed to crash the process.
struct ProxyResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let configuration: ProxyConfiguration
    let cache: TieredCache
    let client: UpstreamClient
    let tenantSecret: [UInt8]
    let clock: any WallClock

    func respond(to request: Request, context: Context) async throws -> Response {
        do {
            return try await handle(request, context: context)
        } catch let error as ProxyError {
            return error.response
        }
    }

    private func handle(_ request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" && request.method == .get {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        guard let route = configuration.routes.route(for: path) else {
            throw ProxyError(status: .notFound, type: "not_found", message: "no route for \(path)")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maximumRequestBytes)
        } catch {
            throw ProxyError(
                status: .contentTooLarge, type: "request_too_large",
                message: "request body exceeds \(configuration.maximumRequestBytes) bytes")
        }
        let mode = try requestMode(request)
        guard route.cacheable, request.method == .post, mode != .passthrough else {
            return try await forward(request, body: body, route: route, context: context, cacheStatus: "BYPASS")
        }
        if let contentType = request.headers[.contentType]?.lowercased(), !contentType.hasPrefix("application/json"),
            !contentType.contains("+json")
        {
            throw ProxyError(
                status: .unsupportedMediaType, type: "unsupported_media_type",
                message: "expected application/json, got \(contentType)")
        }
        let normalizer = RequestNormalizer(
            ignoredFields: route.upstream.provider == .anthropic
                ? RequestNormalizer.anthropic.ignoredFields : RequestNormalizer.openAI.ignoredFields,
            maximumDepth: configuration.maximumJSONDepth)
        let canonical: [UInt8]
        do {
            canonical = try normalizer.normalize(body.readableBytesView).canonical
        } catch let error as JSONParseError {
            throw ProxyError.badRequest("request body is not valid JSON: \(error)")
        }
        let lookup = try CacheLookup(request: request, route: route, canonical: canonical, mode: mode, responder: self)

        if lookup.readsCache, let (entry, tier) = cache.get(lookup.key), lookup.isFresh(entry, now: clock.now()) {
            return CachedResponse.response(
                entry, key: lookup.key, tier: tier, now: clock.now(),
                paced: request.headers[ProxyHeaders.replay]?.lowercased() == "paced")
        }
        if lookup.offline {
            throw ProxyError(
                status: .gatewayTimeout, type: "cache_miss",
                message: "no stored response for this request and the mode forbids contacting the upstream",
                key: lookup.key.hex)
        }
        return try await fetch(request, body: body, route: route, lookup: lookup, context: context)
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
        _ request: Request, body: ByteBuffer, route: RouteTable.Route, context: Context, cacheStatus: String
    ) async throws -> Response {
        let upstream = try await send(request, body: body, route: route, context: context)
        var headers = ProxyHeaders.fields(upstream.headers)
        headers[ProxyHeaders.status] = cacheStatus
        headers[ProxyHeaders.tier] = "upstream"
        return Response(
            status: .init(code: upstream.status), headers: headers,
            body: ResponseBody(asyncSequence: upstream.body))
    }

    /// Fetches a miss (or a refresh) from the upstream, relays it, and stores it when complete.
    private func fetch(
        _ request: Request, body: ByteBuffer, route: RouteTable.Route, lookup: CacheLookup, context: Context
    ) async throws -> Response {
        let started = ContinuousClock.now
        let upstream = try await send(request, body: body, route: route, context: context)
        let createdAt = clock.now()
        var headers = ProxyHeaders.fields(upstream.headers)
        headers[ProxyHeaders.status] = lookup.refresh ? "REFRESH" : "MISS"
        headers[ProxyHeaders.tier] = "upstream"
        headers[ProxyHeaders.key] = lookup.key.hex
        let storable = lookup.writesCache && (200..<300).contains(upstream.status)
        let stored = upstream.headers.filter(\.isStorable)
        let isStream = upstream.headers.contains {
            $0.name.lowercased() == "content-type" && $0.value.lowercased().hasPrefix("text/event-stream")
        }
        let cache = self.cache
        let maximum = configuration.maximumStoredResponseBytes
        let entryTemplate = CacheEntry(
            namespace: lookup.namespace, status: upstream.status, headers: stored, canonicalRequest: ByteBuffer(bytes: lookup.canonical),
            recipeVersion: CacheKeyRecipe.version, createdAt: createdAt, expiresAt: lookup.expiresAt(from: createdAt))
        let key = lookup.key
        let logger = context.logger

        if isStream {
            let responseBody = ResponseBody { writer in
                var capture = StreamCapture(start: started, maximumBytes: maximum)
                var clientGone = false
                do {
                    for try await chunk in upstream.body {
                        capture.append(chunk, at: .now)
                        if !clientGone {
                            do { try await writer.write(chunk) } catch { clientGone = true }
                        }
                    }
                } catch {
                    logger.warning("upstream stream failed; not stored", metadata: ["key": "\(key)", "error": "\(error)"])
                    if !clientGone { throw error }
                    return
                }
                if storable && capture.storable && capture.isComplete {
                    var entry = entryTemplate
                    entry.body = capture.body
                    entry.bodyKind = .stream(chunks: capture.chunks)
                    cache.put(key, entry)
                }
                if !clientGone { try await writer.finish(nil) }
            }
            return Response(status: .init(code: upstream.status), headers: headers, body: responseBody)
        }

        var collected = ByteBuffer()
        var tooLarge = false
        for try await chunk in upstream.body {
            var chunk = chunk
            collected.writeBuffer(&chunk)
            if collected.readableBytes > maximum { tooLarge = true }
        }
        if storable && !tooLarge {
            var entry = entryTemplate
            entry.body = collected
            cache.put(key, entry)
        }
        return Response(status: .init(code: upstream.status), headers: headers, body: ResponseBody(byteBuffer: collected))
    }

    private func send(
        _ request: Request, body: ByteBuffer, route: RouteTable.Route, context: Context
    ) async throws -> UpstreamClient.Response {
        var headers = ProxyHeaders.forwardable(request.headers, credential: route.upstream.credential)
        if let credential = route.upstream.credential {
            headers.append(
                route.upstream.provider == .anthropic
                    ? HeaderField(name: "x-api-key", value: credential)
                    : HeaderField(name: "authorization", value: "Bearer \(credential)"))
        }
        var pathAndQuery = request.uri.path
        if let query = request.uri.query, !query.isEmpty { pathAndQuery += "?" + query }
        do {
            return try await client.send(
                to: route.upstream, method: request.method.rawValue, pathAndQuery: pathAndQuery, headers: headers,
                body: body.readableBytes > 0 || request.method == .post ? body : nil, logger: context.logger)
        } catch let failure as UpstreamClient.Failure {
            switch failure {
            case .timeout(let detail):
                throw ProxyError(status: .gatewayTimeout, type: "upstream_timeout", message: detail)
            case .unreachable(let detail):
                throw ProxyError(status: .badGateway, type: "upstream_unreachable", message: detail)
            }
        }
    }
}
