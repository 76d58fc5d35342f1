import LLMCacheTestSupport
import AsyncHTTPClient
import LLMCacheCore
import NIOCore
import Testing

@Suite struct CoalescingTests {
    @Test(arguments: [false, true])
    func identicalConcurrentRequestsMakeOneUpstreamCall(stream: Bool) async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("together now, all of us", stream: stream)
            // The fetch lasts about a second, so all 100 arrive while it runs, even on a busy machine.
            let headers = stream ? [("x-mock-chunk-delay-ms", "150")] : [("x-mock-latency-ms", "1000")]
            let replies = try await withThrowingTaskGroup(of: ProxyHarness.Reply.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await harness.post("/v1/chat/completions", body, headers: headers) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(harness.stats.requestCount == 1)
            #expect(replies.allSatisfy { $0.status == 200 })
            #expect(Set(replies.map(\.body)).count == 1, "every waiter gets the same bytes")
            let statuses = replies.map { $0.header("x-llmcache-status") ?? "" }
            #expect(statuses.filter { $0 == "MISS" }.count == 1)
            #expect(statuses.filter { $0 == "COALESCED" }.count >= 50)
            #expect(statuses.allSatisfy { ["MISS", "COALESCED", "HIT"].contains($0) })
        }
    }

    @Test func theLeaderGoingAwayDoesNotCancelTheFetchForFollowers() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("a slow story in many many small words for everyone", stream: true)
            let headers = [("x-mock-chunk-delay-ms", "60")]
            // The leader reads the first chunk and walks away, mid-stream (the stream lasts ~0.8 s).
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.proxyPort)/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "x-mock-chunk-delay-ms", value: "60")
            request.body = .bytes(ByteBuffer(string: body))
            do {
                let response = try await harness.client.execute(request, timeout: .seconds(30))
                var chunks = response.body.makeAsyncIterator()
                _ = try await chunks.next()
            }
            let follower = try await harness.post("/v1/chat/completions", body, headers: headers)
            #expect(follower.status == 200)
            #expect(follower.header("x-llmcache-status") == "COALESCED")
            #expect(follower.text.hasSuffix("data: [DONE]\n\n"))
            let later = try await harness.post("/v1/chat/completions", body)
            #expect(later.header("x-llmcache-status") == "HIT", "the fetch completed and was stored")
            #expect(later.body == follower.body)
            #expect(harness.stats.requestCount == 1)
        }
    }

    /// Once a client has read an answer to its end, the same request is a HIT — never COALESCED
    /// onto the flight that just finished (it used to be, about one time in five for streams).
    @Test(arguments: [true, false])
    func aRequestAfterAnAnswerEndedIsAlwaysAHit(stream: Bool) async throws {
        try await ProxyHarness.run(store: nil) { harness in
            for round in 0..<40 {
                let body = chat("round \(round) of asking twice", stream: stream)
                let first = try await harness.post("/v1/chat/completions", body)
                #expect(first.header("x-llmcache-status") == "MISS")
                let second = try await harness.post("/v1/chat/completions", body)
                #expect(second.header("x-llmcache-status") == "HIT", "round \(round)")
                #expect(second.body == first.body)
            }
            #expect(harness.stats.requestCount == 40)
        }
    }

    @Test func noCacheRequestsAreNotCoalesced() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("fresh please")
            let headers = [("x-mock-latency-ms", "200"), ("cache-control", "no-cache")]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let reply = try await harness.post("/v1/chat/completions", body, headers: headers)
                        #expect(reply.header("x-llmcache-status") == "REFRESH")
                    }
                }
                try await group.waitForAll()
            }
            #expect(harness.stats.requestCount == 3)
        }
    }

    @Test func aFailureReachesEveryWaiter() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("doomed")
            let headers = [("x-mock-latency-ms", "200"), ("x-mock-status", "500")]
            let replies = try await withThrowingTaskGroup(of: ProxyHarness.Reply.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await harness.post("/v1/chat/completions", body, headers: headers) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 500 })
            #expect(harness.stats.requestCount == 3, "one shared fetch: three attempts (retries on 5xx)")
            let retry = try await harness.post("/v1/chat/completions", body)
            #expect(retry.status == 200 && retry.header("x-llmcache-status") == "MISS")
        }
    }

    @Test func sequentialMissesReuseUpstreamConnections() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            for index in 0..<1_000 {
                let reply = try await harness.post("/v1/chat/completions", chat("question \(index)"))
                #expect(reply.status == 200)
            }
            #expect(harness.stats.requestCount == 1_000)
            #expect(harness.stats.connectionCount <= 4, "keep-alive: \(harness.stats.connectionCount) connections")
        }
    }
}
