import LLMCacheCore
import LLMCacheServer
import LLMCacheTestSupport
import Testing

/// Upstream answers pass through with backpressure and their own timeouts: an answer too large
/// to store reaches the client as it arrives, a client that stops reading holds the upstream
/// back (instead of the proxy reading it all into memory), one that leaves stops it, and a
/// stream that stalls or runs too long is cut with an SSE error event.
@Suite(.timeLimit(.minutes(2))) struct UpstreamRelayTests {
    static func request(bulk: Int, stream: Bool = false, headers: String = "") -> String {
        let body = #"{"model":"m","stream":\#(stream),"messages":[{"role":"user","content":"bulk"}]}"#
        return
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\n"
            + "x-mock-bulk-bytes: \(bulk)\r\n\(headers)content-length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func smallStore(_ configuration: inout ProxyConfiguration) {
        configuration.maximumStoredResponseBytes = 256 << 10
    }

    /// 4 MiB, larger than what is stored: the first MiB reaches the client while the rest is
    /// still held upstream (it was once buffered whole before the client saw its head).
    @Test(arguments: [false, true])
    func anAnswerTooLargeToStoreIsRelayedAsItArrives(stream: Bool) async throws {
        try await ProxyHarness.run(store: nil, configure: Self.smallStore) { harness in
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(
                Self.request(bulk: 4 << 20, stream: stream, headers: "x-mock-gate: rest\r\nx-mock-gate-after: 16\r\n"))
            let start = try await connection.read(bytes: 1 << 20)
            #expect(start.count == 1 << 20, "the first MiB arrived while the rest is held upstream")
            #expect(String(decoding: start.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
            harness.stats.open(gate: "rest")
            let (rest, closed) = try await connection.readToClose()
            #expect(closed)
            // Relayed chunked: the answer's last bytes, then the last chunk.
            let last = stream ? "data: [DONE]\n\n" : #""finish_reason":"stop"}]}"#
            #expect(rest.hasSuffix(last + "\r\n0\r\n\r\n"), "\(rest.suffix(80))")
            #expect(start.count + rest.utf8.count > 4 << 20)
            var ends = harness.stats.bulkEnds.makeAsyncIterator()
            #expect(await ends.next()?.completed == true)
        }
    }

    /// A client that stops reading a 1 GiB answer holds the upstream read back; when it goes
    /// away, the upstream read stops — cached route and pass-through alike.
    @Test(arguments: ["", "x-llmcache-mode: passthrough\r\n"])
    func aClientThatStopsReadingHoldsTheUpstreamBackAndLeavingStopsIt(mode: String) async throws {
        try await ProxyHarness.run(store: nil, configure: Self.smallStore) { harness in
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(Self.request(bulk: 1 << 30, headers: mode))
            let head = try await connection.read(bytes: 12)
            #expect(String(decoding: head, as: UTF8.self) == "HTTP/1.1 200")
            await harness.server.relaysHeldBack(atLeast: 1)
            connection.close()
            var ends = harness.stats.bulkEnds.makeAsyncIterator()
            let end = await ends.next()
            #expect(end?.completed == false, "the upstream was not read to its end (\(end?.bytes ?? -1) bytes read)")
            // Socket buffers, and the moments until the proxy learns the client left (longer on a
            // loaded machine: 94 MiB once in a full suite run, 193 MiB in another), are read; not
            // the rest.
            #expect((end?.bytes ?? .max) < 512 << 20, "well short of the end: \(end?.bytes ?? -1) bytes read")
        }
    }

    /// The head timeout no longer cuts a slow stream: a 3 s pause mid-stream with a 2 s head
    /// timeout arrives whole (the stream-idle timeout is longer).
    @Test func aSlowStreamIsNotCutByTheHeadTimeout() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                $0.upstream.headTimeout = .seconds(2)
                $0.upstream.streamIdleTimeout = .seconds(10)
            }
        ) { harness in
            let reply = try await harness.post(
                "/v1/chat/completions", chat("slow", stream: true), headers: [("x-mock-pause-ms", "3000")])
            #expect(reply.status == 200)
            let text = String(decoding: reply.body, as: UTF8.self)
            #expect(text.hasSuffix("data: [DONE]\n\n"), "\(text.suffix(200))")
            #expect(!text.contains("event: error"))
        }
    }

    /// A stream that stops sending for longer than the stream-idle timeout ends with an SSE
    /// error event naming the timeout, and is not stored.
    @Test func aStalledStreamIsCutByTheStreamIdleTimeout() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                $0.upstream.headTimeout = .seconds(10)
                $0.upstream.streamIdleTimeout = .milliseconds(300)
            }
        ) { harness in
            let reply = try await harness.post(
                "/v1/chat/completions", chat("stall", stream: true),
                headers: [("x-mock-gate", "later"), ("x-mock-gate-after", "2")])
            // The mock's handler may go on (to find its connection gone) and the harness stop.
            harness.stats.open(gate: "later")
            #expect(reply.status == 200)
            let text = String(decoding: reply.body, as: UTF8.self)
            #expect(text.contains("event: error"))
            #expect(text.contains(#""type":"upstream_timeout""#))
            #expect(text.contains("stream_idle_timeout"))
            await harness.server.fetchesFinished()
            let again = try await harness.post("/v1/chat/completions", chat("stall", stream: true))
            #expect(again.headers["x-llmcache-status"].first == "MISS", "a cut stream is not stored")
        }
    }

    /// The total timeout now covers the body too: a stream that keeps sending past it is cut.
    @Test func theTotalTimeoutCoversTheBody() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                $0.upstream.streamIdleTimeout = .seconds(10)
                $0.upstream.totalTimeout = .seconds(1)
            }
        ) { harness in
            let reply = try await harness.post(
                "/v1/chat/completions", chat("long", stream: true), headers: [("x-mock-pause-ms", "2000")])
            let text = String(decoding: reply.body, as: UTF8.self)
            #expect(text.contains(#""type":"upstream_timeout""#), "\(text.suffix(300))")
            #expect(text.contains("total_timeout"))
        }
    }
}
