import LLMCacheCore
import LLMCacheServer
import LLMCacheTestSupport
import Testing

/// A listener that cannot be pinned or crashed: what a client library would never send, over a
/// plain socket. Each proxy runs with a short idle timeout; every wait is bounded by the socket's
/// read timeout, never by a sleep.
@Suite(.timeLimit(.minutes(2))) struct ListenerHardeningTests {
    static func limits(_ configuration: inout ProxyConfiguration) {
        configuration.listener.setIdleTimeouts(.milliseconds(400))
        headerLimits(&configuration)
    }

    /// Only the keep-alive timeout short: an answered connection left idle is closed 400 ms
    /// later, while a request being read keeps the default minutes (CI's loaded event loops
    /// have been late by more than 400 ms to a request sent at once, and closed its connection
    /// with the request unread).
    static func keepAliveLimits(_ configuration: inout ProxyConfiguration) {
        configuration.listener.keepAliveTimeout = .milliseconds(400)
        headerLimits(&configuration)
    }

    /// The header limits without the short timeouts, for tests of what is answered rather than
    /// when: a 400 ms header timeout can fire before a loaded event loop reads the request.
    static func headerLimits(_ configuration: inout ProxyConfiguration) {
        configuration.listener.maximumHeaderBytes = 16 << 10
        configuration.listener.maximumHeaderCount = 50
    }

    static let body = #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#

    static func request(_ path: String = "/v1/chat/completions", headers: String = "", body: String = body) -> String {
        "POST \(path) HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\(headers)content-length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// A 64 KiB header (which once reached the upstream client and killed the process) is
    /// answered 431 in the JSON error shape, twice, and the proxy goes on serving.
    @Test func anOversizedHeaderIs431AndNothingBreaks() async throws {
        try await ProxyHarness.run(store: nil, configure: Self.headerLimits) { harness in
            for _ in 0..<2 {
                let connection = try RawConnection(port: harness.proxyPort)
                connection.send(Self.request(headers: "x-big: \(String(repeating: "a", count: 64 << 10))\r\n"))
                let (text, closed) = try await connection.readToClose()
                #expect(text.hasPrefix("HTTP/1.1 431"), "\(text.prefix(200))")
                #expect(text.contains(#""type":"request_headers_too_large""#))
                #expect(closed)
            }
            let many = (0..<80).map { "x-h\($0): v\r\n" }.joined()
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(Self.request(headers: many))
            #expect(try await connection.readToClose().text.hasPrefix("HTTP/1.1 431"))
            #expect(harness.stats.requestCount == 0, "nothing oversized was forwarded")
            // Under the limit, a large header still goes through.
            let fine = try await harness.post(
                "/v1/chat/completions", chat("still here"), headers: [("x-big", String(repeating: "b", count: 8 << 10))]
            )
            #expect(fine.status == 200)
        }
    }

    @Test(arguments: [
        "",  // silent
        "POST /v1/chat/comp",  // a partial request line
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n",  // a head that never ends
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"model\"",  // a short body
    ])
    func aStalledConnectionIsClosed(sent: String) async throws {
        try await ProxyHarness.run(store: nil, configure: Self.limits) { harness in
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(sent)
            let (_, closed) = try await connection.readToClose()
            #expect(closed, "the proxy closed the connection")
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        try await ProxyHarness.run(store: nil, configure: Self.keepAliveLimits) { harness in
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(Self.request())
            let (text, closed) = try await connection.readToClose()
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(closed)
        }
    }

    /// The lean path writes below the guard; the guard still learns the answer ended and closes
    /// the idle connection after it.
    @Test func anIdleConnectionAfterALeanHitIsClosed() async throws {
        try await ProxyHarness.run(store: nil, configure: Self.keepAliveLimits) { harness in
            _ = try await harness.post("/v1/chat/completions", Self.body)
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(Self.request())
            let (text, closed) = try await connection.readToClose()
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.lowercased().contains("x-llmcache-status: hit"))
            #expect(harness.server.metrics.snapshot.fastHits == 1)
            #expect(closed, "closed by the keep-alive timeout")
        }
    }

    @Test func brokenFramingIs400InTheJSONShapeNot413() async throws {
        try await ProxyHarness.run(store: nil, configure: Self.headerLimits) { harness in
            let garbage = try RawConnection(port: harness.proxyPort)
            garbage.send("GARBAGE\r\n\r\n")
            let (text, _) = try await garbage.readToClose()
            #expect(text.hasPrefix("HTTP/1.1 400"), "\(text)")
            #expect(text.contains(#""type":"malformed_request""#))

            let chunked = try RawConnection(port: harness.proxyPort)
            chunked.send(
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                    + "transfer-encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n")
            let (reply, _) = try await chunked.readToClose()
            #expect(reply.hasPrefix("HTTP/1.1 400"), "\(reply)")
            #expect(reply.contains(#""type":"malformed_request""#))
            #expect(!reply.contains("request_too_large"))
        }
    }

    /// `Expect: 100-continue` (RFC 9110 §10.1.1): `100 Continue` before the body is sent, or at
    /// once a final 413 when the announced body is too large; other expectations are 417.
    @Test func expectContinueIsAnsweredBeforeTheBody() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                Self.limits(&$0)
                $0.listener.setIdleTimeouts(.seconds(30))  // the client pauses between head and body
                $0.maximumRequestBytes = 1 << 20
            }
        ) { harness in
            let body = Self.body
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                    + "expect: 100-continue\r\ncontent-length: \(body.utf8.count)\r\n\r\n")
            let interim = try await connection.read(until: "\r\n\r\n")
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
            connection.send(body)
            let final = try await connection.read(until: "}}")
            #expect(final.contains("HTTP/1.1 200"), "\(final)")

            let large = try RawConnection(port: harness.proxyPort)
            large.send(
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\n"
                    + "content-length: \(40 << 20)\r\n\r\n")
            let (refusal, closed) = try await large.readToClose()
            #expect(refusal.hasPrefix("HTTP/1.1 413"), "\(refusal)")
            #expect(refusal.contains(#""type":"request_too_large""#))
            #expect(closed)

            let odd = try RawConnection(port: harness.proxyPort)
            odd.send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nexpect: teapot\r\ncontent-length: 2\r\n\r\n")
            #expect(try await odd.readToClose().text.hasPrefix("HTTP/1.1 417"))
            #expect(harness.stats.requestCount == 1)
        }
    }

    /// A client that sends a whole over-large body before it reads (Python's urllib, requests)
    /// still gets its 413, and the connection does not linger half-read.
    @Test func aClientThatSendsTheWholeOversizedBodyFirstStillSeesThe413() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                // The body is drained at the client's pace: a loaded machine may pause its
                // sending longer than 400 ms (the reset then discards the 413), so only the
                // keep-alive timeout is short: it closes the connection once it is drained.
                Self.keepAliveLimits(&$0)
                $0.maximumRequestBytes = 1 << 20
            }
        ) { harness in
            let body = String(repeating: "x", count: 8 << 20)
            let connection = try RawConnection(port: harness.proxyPort)
            let sent = connection.send(
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                    + "content-length: \(body.utf8.count)\r\n\r\n" + body)
            let (reply, closed) = try await connection.readToClose()
            #expect(reply.hasPrefix("HTTP/1.1 413"), "sent all: \(sent), got: \(reply.prefix(300))")
            #expect(closed)
        }
    }

    /// Beyond `maximumConnections` a new connection is answered 503 at once and closed — not
    /// held, not left hanging in the backlog.
    @Test func connectionsBeyondTheLimitAreRefusedAtOnce() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                Self.limits(&$0)
                $0.listener.setIdleTimeouts(.seconds(30))
                $0.listener.maximumConnections = 2
            }
        ) { harness in
            // The harness's own client may hold pooled connections: take the places with raw
            // ones whose requests have been answered (so they are counted).
            var held: [RawConnection] = []
            for _ in 0..<4 where harness.server.connections.current < 2 {
                let connection = try RawConnection(port: harness.proxyPort)
                connection.send(Self.request(headers: "connection: keep-alive\r\n"))
                let answer = try await connection.read(until: "}}")
                #expect(answer.hasPrefix("HTTP/1.1 200") || answer.hasPrefix("HTTP/1.1 503"))
                held.append(connection)
            }
            let refused = try RawConnection(port: harness.proxyPort)
            let (text, closed) = try await refused.readToClose()
            #expect(text.hasPrefix("HTTP/1.1 503"), "\(text)")
            #expect(text.contains(#""type":"too_many_connections""#))
            #expect(closed)
            #expect(harness.server.connections.current == 2)
            held.removeAll()
        }
    }

    /// Graceful shutdown while a client stalls mid-body: the harness's teardown (the same group
    /// configuration `serve` runs) finishes; the suite's time limit fails the test if it never
    /// does. The connection is first proven served (one whole request answered on it), then
    /// left in the middle of a second request's body.
    @Test func shutdownFinishesWhileAClientStallsMidBody() async throws {
        let holder = ConnectionHolder()
        try await ProxyHarness.run(
            store: nil,
            configure: {
                $0.listener.setIdleTimeouts(.seconds(600))
                $0.listener.shutdownTimeout = .milliseconds(500)
            }
        ) { harness in
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(Self.request(headers: "connection: keep-alive\r\n"))
            #expect(try await connection.read(until: "}}").hasPrefix("HTTP/1.1 200"))
            connection.send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{\"mo")
            holder.connection = connection
        }
        let (_, closed) = try await #require(holder.connection).readToClose()
        #expect(closed, "the stalled connection was closed by the shutdown")
    }

    /// The waits are timed apart: with a 2 s header timeout and a 30 s keep-alive timeout, a
    /// silent new connection is closed while an idle keep-alive connection — idle longer than
    /// that by then — still serves its next request. (300 ms once fired before a loaded event
    /// loop had read the first request.)
    @Test func headerAndKeepAliveTimeoutsAreSeparate() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                $0.listener.headerTimeout = .seconds(2)
                $0.listener.keepAliveTimeout = .seconds(30)
            }
        ) { harness in
            let kept = try RawConnection(port: harness.proxyPort)
            kept.send(Self.request(headers: "connection: keep-alive\r\n"))
            #expect(try await kept.read(until: "}}").hasPrefix("HTTP/1.1 200"))
            let silent = try RawConnection(port: harness.proxyPort)
            let (_, closed) = try await silent.readToClose()
            #expect(closed, "the header timeout closed the silent connection")
            kept.send(Self.request(headers: "connection: close\r\n"))
            let (text, _) = try await kept.readToClose()
            #expect(text.hasPrefix("HTTP/1.1 200"), "the keep-alive connection outlived the header timeout")
        }
    }

    /// A body that pauses longer than the body timeout is cut, though the header timeout is
    /// long; the request is answered 400 `incomplete_request` or the connection just closes.
    @Test func aBodyThatPausesPastTheBodyTimeoutIsCut() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                $0.listener.headerTimeout = .seconds(30)
                $0.listener.bodyTimeout = .milliseconds(300)
            }
        ) { harness in
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"model\"")
            let (text, closed) = try await connection.readToClose()
            #expect(closed)
            #expect(!text.hasPrefix("HTTP/1.1 200"))
        }
    }

    /// A client that stops reading a streamed answer is disconnected after the send timeout;
    /// the relay then loses its last client and stops reading the upstream.
    @Test func aClientThatStopsReadingIsDisconnectedAfterTheSendTimeout() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                $0.listener.sendTimeout = .milliseconds(300)
                $0.maximumStoredResponseBytes = 256 << 10
            }
        ) { harness in
            let connection = try RawConnection(port: harness.proxyPort)
            connection.send(UpstreamRelayTests.request(bulk: 256 << 20, stream: true))
            #expect(String(decoding: try await connection.read(bytes: 12), as: UTF8.self) == "HTTP/1.1 200")
            var ends = harness.stats.bulkEnds.makeAsyncIterator()
            let end = await ends.next()
            #expect(end?.completed == false, "the upstream read stopped once the client was dropped")
            let (_, closed) = try await connection.readToClose()
            #expect(closed, "the proxy closed the connection")
        }
    }
}

final class ConnectionHolder: @unchecked Sendable {
    var connection: RawConnection?
}
