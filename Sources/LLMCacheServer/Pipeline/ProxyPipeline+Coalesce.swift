import Hummingbird
import LLMCacheCore

/// Stages 4 and 6: lead or follow the fetch of a key, and relay its answer to this client.
extension ProxyPipeline {
    /// The flight that will answer `lookup` and how this request relates to it: a refresh leads
    /// a fetch of its own; otherwise the first request for a key leads and the rest follow.
    func coalesce(_ lookup: CacheLookup, _ exchange: ProxyExchange) throws -> (Flight, CacheStatus) {
        if lookup.refresh {
            // no-cache / record: a fresh answer of its own, not shared.
            let flight = Flight()
            try start(FetchJob(pipeline: self, exchange: exchange, lookup: lookup, flight: flight, shared: false))
            return (flight, .refresh)
        }
        switch services.flights.join(lookup.key) {
        case .leader(let flight):
            try start(FetchJob(pipeline: self, exchange: exchange, lookup: lookup, flight: flight, shared: true))
            return (flight, .miss)
        case .follower(let flight):
            return (flight, .coalesced)
        }
    }

    /// Hands the fetch to the runner, where it outlives the request that started it.
    private func start(_ job: FetchJob) throws {
        guard services.runner.submit({ await job.run() }) else {
            job.abandon()
            throw ProxyError(status: .serviceUnavailable, type: "shutting_down", message: "the proxy is shutting down")
        }
    }

    /// The flight's answer as this client's response: a complete body in one write with a
    /// content length, an event stream (or a body too large to keep) relayed as it arrives.
    func respond(from flight: Flight) async throws -> Response {
        // Subscribe before anything arrives, so no chunk is missed even if the answer grows too
        // large for the flight to keep for late joiners.
        let chunks = flight.body()
        let head = try await flight.head()
        let headers = ProxyHeaders.fields(head.headers)
        if !ProxyHeaders.isEventStream(head.headers), let whole = try await flight.completeBody() {
            return Response(status: .init(code: head.status), headers: headers, body: ResponseBody(byteBuffer: whole))
        }
        let isStream = ProxyHeaders.isEventStream(head.headers)
        return Response(
            status: .init(code: head.status), headers: headers,
            body: ResponseBody { writer in
                do {
                    for try await chunk in chunks { try await writer.write(chunk) }
                } catch let error as ProxyError where isStream {
                    // The upstream broke off mid-stream: say so in the stream's own terms, then
                    // end it, instead of a bare end of file the client cannot tell from an end.
                    try await writer.write(Self.errorEvent(error))
                }
                try await writer.finish(nil)
            })
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
