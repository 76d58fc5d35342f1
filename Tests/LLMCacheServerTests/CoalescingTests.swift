import LLMCacheTestSupport
import AsyncHTTPClient
import LLMCacheCore
import NIOCore
import Testing

@Suite struct CoalescingTests {
    /// 100 identical requests while one fetch is held open upstream: one upstream call, one
    /// MISS, 99 COALESCED — the mock holds its answer at a gate the test opens once the proxy
    /// reports 99 followers, so no timing decides the outcome.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func identicalConcurrentRequestsMakeOneUpstreamCall(stream: Bool) async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("together now, all of us", stream: stream)
            let headers = stream ? [("x-mock-gate", "g"), ("x-mock-gate-after", "1")] : [("x-mock-gate", "g")]
            let replies = try await withThrowingTaskGroup(of: ProxyHarness.Reply.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await harness.post("/v1/chat/completions", body, headers: headers) }
                }
                await harness.server.followersJoined(atLeast: 99)
                harness.stats.open(gate: "g")
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(harness.stats.requestCount == 1)
            #expect(replies.allSatisfy { $0.status == 200 })
            #expect(Set(replies.map(\.body)).count == 1, "every waiter gets the same bytes")
            let statuses = replies.map { $0.header("x-llmcache-status") ?? "" }
            #expect(statuses.filter { $0 == "MISS" }.count == 1)
            #expect(statuses.filter { $0 == "COALESCED" }.count == 99)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func theLeaderGoingAwayDoesNotCancelTheFetchForFollowers() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("a slow story in many many small words for everyone", stream: true)
            // The upstream sends two chunks, then holds the rest at the gate.
            let headers = [("x-mock-gate", "rest"), ("x-mock-gate-after", "2")]
            // The leader reads the first chunk and walks away, mid-stream.
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.proxyPort)/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: body))
            do {
                let response = try await harness.client.execute(request, timeout: .seconds(30))
                var chunks = response.body.makeAsyncIterator()
                _ = try await chunks.next()
            }
            async let follower = harness.post("/v1/chat/completions", body, headers: headers)
            await harness.server.followersJoined(atLeast: 1)
            harness.stats.open(gate: "rest")
            let followed = try await follower
            #expect(followed.status == 200)
            #expect(followed.header("x-llmcache-status") == "COALESCED")
            #expect(followed.text.hasSuffix("data: [DONE]\n\n"))
            let later = try await harness.post("/v1/chat/completions", body)
            #expect(later.header("x-llmcache-status") == "HIT", "the fetch completed and was stored")
            #expect(later.body == followed.body)
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

    @Test(.timeLimit(.minutes(1)))
    func aFailureReachesEveryWaiter() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("doomed")
            let headers = [("x-mock-gate", "fail"), ("x-mock-status", "500")]
            let replies = try await withThrowingTaskGroup(of: ProxyHarness.Reply.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await harness.post("/v1/chat/completions", body, headers: headers) }
                }
                await harness.server.followersJoined(atLeast: 9)
                harness.stats.open(gate: "fail")
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
