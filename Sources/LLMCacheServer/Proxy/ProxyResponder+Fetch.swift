import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheStore
import LLMCacheUpstream
import Logging
import NIOCore

/// The back half of a miss: join or lead the single flight, send → tee → store.
extension ProxyResponder {
    /// Fetches a miss (or a refresh) from the upstream — or joins the fetch already running for
    /// the same key — relays it as it arrives, and stores it when it is complete.
    func fetch(
        _ request: Request, body: ByteBuffer, route: RouteTable.Route, lookup: CacheLookup, context: Context
    ) async throws -> (Response, CacheStatus) {
        let flight: Flight
        var status: CacheStatus = lookup.refresh ? .refresh : .miss
        if lookup.refresh {
            // no-cache / record: a fresh answer of its own, not shared.
            flight = Flight()
            try startFetch(
                flight, request: request, body: body, route: route, lookup: lookup, context: context, shared: false)
        } else {
            switch flights.join(lookup.key) {
            case .leader(let leading):
                flight = leading
                try startFetch(
                    flight, request: request, body: body, route: route, lookup: lookup, context: context, shared: true)
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
            return (
                Response(status: .init(code: head.status), headers: headers, body: ResponseBody(byteBuffer: whole)),
                status
            )
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
                context.logger.warning(
                    "upstream body failed; not stored", metadata: ["key": "\(lookup.key)", "error": "\(error)"])
                flight.finish(.failure(ProxyError(status: .badGateway, type: "upstream_cut", message: "\(error)")))
                return
            }
            if lookup.writesCache, (200..<300).contains(upstream.status), capture.storable,
                !isStream || capture.isComplete
            {
                let entry = CacheEntry(
                    namespace: lookup.namespace, status: upstream.status,
                    headers: upstream.headers.filter(\.isStorable),
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
}
