import Hummingbird
import LLMCacheCore
import LLMCacheShared
import LLMCacheStore

/// Stages 4 and 6: lead or follow the fetch of a key, and relay its answer to this client.
extension ProxyPipeline {
    /// The flight that will answer `lookup`, this request's subscription to its body, how this
    /// request relates to it, and the tier the answer comes from: a refresh leads a fetch of its
    /// own; otherwise the first request for a key leads and the rest follow. With a shared tier
    /// the leader first takes the key's lease across instances — or, while another instance
    /// fetches, waits for its answer and follows that (COALESCED from `shared`). A leader
    /// subscribes before its fetch starts, so it misses no chunk even of an answer too large to
    /// keep.
    func coalesce(
        _ lookup: CacheLookup, _ exchange: ProxyExchange
    ) async throws -> (Flight, Flight.Body, CacheStatus, ResponseTier) {
        if lookup.refresh {
            // no-cache / record: a fresh answer of its own, not shared.
            return try lead(lookup, exchange, shared: false, as: .refresh)
        }
        switch services.flights.join(lookup.key) {
        case .leader(let flight):
            var lease: SharedLease?
            // Only a request whose answer will be stored makes other instances wait for it.
            if let tier = services.shared, lookup.writesCache {
                switch await tier.lease(lookup.key) {
                case .granted(let granted): lease = granted
                case .answered(let entry): return follow(entry, in: flight, lookup)
                case .unavailable: break
                }
            }
            return try lead(lookup, exchange, flight: flight, shared: true, lease: lease, as: .miss)
        case .follower(let flight):
            // The tier is the flight's (upstream, or shared when its answer came from another
            // instance): `respond` reads it from the head.
            if let body = flight.body() { return (flight, body, .coalesced, .upstream) }
            // The flight outgrew what it keeps between the join and now: fetch alone.
            return try lead(lookup, exchange, shared: false, as: .miss)
        }
    }

    func lead(
        _ lookup: CacheLookup, _ exchange: ProxyExchange, flight: Flight? = nil, shared: Bool,
        lease: SharedLease? = nil, as status: CacheStatus
    ) throws -> (Flight, Flight.Body, CacheStatus, ResponseTier) {
        let flight = flight ?? services.flights.newFlight()
        // A new flight has dropped nothing: the subscription always succeeds.
        let body = flight.body()!
        let job = FetchJob(
            pipeline: self, exchange: exchange, lookup: lookup, flight: flight, shared: shared, lease: lease)
        guard services.runner.submit({ await job.run() }) else {
            job.abandon()
            throw ProxyError(status: .serviceUnavailable, type: "shutting_down", message: "the proxy is shutting down")
        }
        return (flight, body, status, .upstream)
    }

    /// Another instance's answer, fetched while this one waited: into L1 (as a shared-tier hit
    /// is promoted), and through this key's flight to the local requests that joined it.
    private func follow(
        _ entry: CacheEntry, in flight: Flight, _ lookup: CacheLookup
    ) -> (Flight, Flight.Body, CacheStatus, ResponseTier) {
        let body = flight.body()!
        services.cache.memory.put(lookup.key, entry)
        services.flights.close(lookup.key, flight)
        let headers = ReplayedHeaders.onHit(entry.headers).map {
            HeaderField(name: $0.name.canonicalName, value: $0.value)
        }
        let tier = services.shared?.name ?? "shared"
        flight.deliver(head: .init(status: entry.status, headers: headers, tier: tier))
        flight.deliver(chunk: entry.body)
        flight.finish(.success(()))
        return (flight, body, .coalesced, ResponseTier(rawValue: tier))
    }

    /// The flight's answer as this client's response: a complete body in one write with a
    /// content length; an event stream, or a body too large to keep, relayed as it arrives.
    func respond(from flight: Flight, body chunks: Flight.Body) async throws -> Response {
        let head = try await flight.head()
        let headers = ProxyHeaders.fields(head.headers)
        if !ProxyHeaders.isEventStream(head.headers), let whole = try await flight.completeBody() {
            return Response(status: .init(code: head.status), headers: headers, body: ResponseBody(byteBuffer: whole))
        }
        return Response(
            status: .init(code: head.status), headers: headers,
            body: Self.relayed(chunks, isStream: ProxyHeaders.isEventStream(head.headers)))
    }

    /// Writes `chunks` as they come. An event stream the upstream broke off ends with an SSE
    /// `error` event (in the stream's own terms, instead of a bare end of file the client cannot
    /// tell from an end); any other break closes the connection.
    static func relayed(_ chunks: Flight.Body, isStream: Bool) -> ResponseBody {
        ResponseBody { writer in try await relay(chunks, isStream: isStream, to: &writer) }
    }

    static func relay(_ chunks: Flight.Body, isStream: Bool, to writer: inout any ResponseBodyWriter) async throws {
        do {
            for try await chunk in chunks { try await writer.write(chunk) }
        } catch let error as ProxyError where isStream {
            try await writer.write(Self.errorEvent(error))
        }
        try await writer.finish(nil)
    }

    /// An SSE `error` event carrying the JSON error object (as OpenAI and Anthropic streams end
    /// on an error).
    static func errorEvent(_ error: ProxyError) -> ByteBuffer {
        var buffer = ByteBuffer(string: "\nevent: error\ndata: ")
        buffer.writeBytes(error.jsonBody)
        buffer.writeString("\n\n")
        return buffer
    }
}
