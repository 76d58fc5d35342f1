import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCachePlugins
import LLMCacheUpstream
import NIOCore

/// Where the proxy calls its plugins (see ``ProxyPlugin`` for the rules).
extension ProxyPipeline {
    enum BeforeLookupOutcome {
        /// Go on with this request and body (cache bypassed if `bypass`).
        case proceed(Request, ByteBuffer, bypass: Bool)
        /// A plugin answered.
        case answer(Response)
    }

    /// Runs the before-lookup hooks in order; an answer or a bypass ends the chain.
    func beforeLookup(_ request: Request, body: ByteBuffer, route: RouteTable.Route) async throws -> BeforeLookupOutcome
    {
        var pluginRequest = PluginRequest(
            method: request.method.rawValue, path: request.uri.path, headers: request.headers, body: body,
            upstream: route.upstream.id, cacheable: route.cacheable)
        var bypass = false
        for plugin in plugins.plugins(for: .beforeLookup) {
            let current = pluginRequest
            guard
                let decision = try await services.hooks.run(
                    plugin, .beforeLookup, { try await plugin.plugin.beforeLookup(current) })
            else { continue }
            switch decision {
            case .proceed(let changed): pluginRequest = changed
            case .bypass(let changed):
                pluginRequest = changed
                bypass = true
            case .respond(let answer):
                return .answer(
                    Response(
                        status: .init(code: answer.status), headers: answer.headers,
                        body: ResponseBody(byteBuffer: answer.body)))
            }
            if bypass { break }
        }
        var head = request.head
        head.headerFields = pluginRequest.headers
        return .proceed(
            Request(head: head, body: RequestBody(buffer: pluginRequest.body)), pluginRequest.body, bypass: bypass)
    }

    /// Runs the key rules in order over the normalized request; a rule that throws leaves the
    /// value as it was.
    func rewriteKey(_ value: JSONValue, request: Request, route: RouteTable.Route) throws -> (
        value: JSONValue, canonical: [UInt8]
    ) {
        let keyRequest = KeyRuleRequest(
            method: request.method.rawValue, path: request.uri.path, upstream: route.upstream.id,
            headers: request.headers)
        var value = value
        for plugin in plugins.plugins(for: .keyRules) {
            var attempt = value
            var succeeded = false
            try services.hooks.runSync(plugin, .keyRules) {
                try plugin.plugin.rewriteKey(&attempt, request: keyRequest)
                succeeded = true
            }
            if succeeded { value = attempt }
        }
        return (value, CanonicalJSON.serialize(value))
    }

    /// Tells the plugins; their failures are isolated (a critical one cannot fail a request that
    /// has already failed upstream).
    func upstreamFailed(_ event: UpstreamErrorEvent) async {
        for plugin in plugins.plugins(for: .upstreamError) {
            _ = try? await services.hooks.run(plugin, .upstreamError) { try await plugin.plugin.onUpstreamError(event) }
        }
    }

    /// Runs the before-store hooks; nil: vetoed.
    func beforeStore(_ entry: CacheEntry, lookup: CacheLookup) async throws -> CacheEntry? {
        var segments: [ByteBuffer] = []
        var chunks: [StreamChunk] = []
        switch entry.bodyKind {
        case .complete: segments = [entry.body]
        case .stream(let streamChunks):
            chunks = streamChunks
            var body = entry.body
            for chunk in streamChunks {
                segments.append(body.readSlice(length: Int(chunk.length)) ?? ByteBuffer())
            }
            if body.readableBytes > 0 { segments.append(body) }
        }
        var candidate = StoreCandidate(
            key: lookup.key.hex, path: lookup.recipe.path, model: lookup.model, namespace: lookup.namespace,
            status: entry.status, headers: entry.headers, segments: segments, isStream: entry.bodyKind != .complete,
            canonicalRequest: entry.canonicalRequest)
        for plugin in plugins.plugins(for: .beforeStore) {
            let current = candidate
            switch try await services.hooks.run(plugin, .beforeStore, { try await plugin.plugin.beforeStore(current) })
            {
            case .store(let changed)?: candidate = changed
            case .veto?: return nil
            case nil: continue
            }
        }
        var stored = entry
        var body = ByteBuffer()
        for var segment in candidate.segments { body.writeBuffer(&segment) }
        if case .stream = entry.bodyKind {
            stored.bodyKind = .stream(
                chunks: candidate.segments.enumerated().map { index, segment in
                    StreamChunk(
                        length: UInt32(segment.readableBytes),
                        delayMicroseconds: index < chunks.count ? chunks[index].delayMicroseconds : 0)
                })
        }
        stored.body = body
        stored.status = candidate.status
        stored.headers = candidate.headers
        stored.canonicalRequest = candidate.canonicalRequest
        return stored
    }

    /// Runs the after-response hooks in order (a critical one that fails replaces the response).
    func afterResponse(_ event: ResponseEvent) async throws(ProxyError) {
        for plugin in plugins.plugins(for: .afterResponse) {
            _ = try await services.hooks.run(plugin, .afterResponse) { try await plugin.plugin.afterResponse(event) }
        }
    }
}
