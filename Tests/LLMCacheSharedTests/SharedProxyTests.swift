import LLMCacheServer
import LLMCacheShared
import LLMCacheTestSupport
import Testing

/// Several llmcache instances (each a whole proxy with its own L1) on one PostgreSQL database,
/// sending their misses to one mock upstream.
@Suite(.timeLimit(.minutes(2))) struct SharedProxyTests {
    /// Runs `body` with `count` proxies on a fresh cluster; all call the first one's mock.
    static func withInstances(
        _ count: Int, leaseTimeout: Duration = .seconds(30),
        _ body: ([ProxyHarness]) async throws -> Void
    ) async throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let shared = SharedTierConfiguration(
            url: cluster.url, poolSize: 2, lookupTimeout: .seconds(5), leaseTimeout: leaseTimeout)
        func start(_ harnesses: [ProxyHarness]) async throws {
            if harnesses.count == count { return try await body(harnesses) }
            try await ProxyHarness.run(
                store: nil, upstreamPort: harnesses.first?.mockPort, configure: { $0.shared = shared }
            ) { harness in try await start(harnesses + [harness]) }
        }
        try await start([])
    }

    @Test func anAnswerOneInstanceFetchedIsASharedHitOnAnother() async throws {
        try await Self.withInstances(2) { instances in
            let (a, b) = (instances[0], instances[1])
            let body = chat("one prompt, two instances")
            let first = try await a.post("/v1/chat/completions", body)
            #expect(first.header("x-llmcache-status") == "MISS")
            // The fetch's lease is released once the answer is in the shared table.
            await a.server.fetchesFinished()
            let second = try await b.post("/v1/chat/completions", body)
            #expect(second.header("x-llmcache-status") == "HIT")
            #expect(second.header("x-llmcache-tier") == "shared")
            #expect(second.body == first.body)
            let third = try await b.post("/v1/chat/completions", body)
            #expect(third.header("x-llmcache-tier") == "memory", "a shared hit is promoted into L1")
            #expect(a.stats.requestCount == 1)
            // Another credential reads nothing the first stored, through any instance.
            let other = try await b.post(
                "/v1/chat/completions", body, headers: [("authorization", "Bearer sk-another-tenant")])
            #expect(other.header("x-llmcache-status") == "MISS")
            #expect(a.stats.requestCount == 2)
        }
    }

    /// The same request on three instances while the first one's fetch is held upstream: one
    /// upstream call; the other two wait on the lease and answer from the shared tier.
    @Test(arguments: [false, true]) func identicalRequestsOnThreeInstancesMakeOneUpstreamCall(stream: Bool)
        async throws
    {
        try await Self.withInstances(3) { instances in
            let body = chat("three instances, one call", stream: stream)
            let gate = stream ? [("x-mock-gate", "g"), ("x-mock-gate-after", "1")] : [("x-mock-gate", "g")]
            async let led = instances[0].post("/v1/chat/completions", body, headers: gate)
            await instances[0].server.shared!.leasesTaken.reached(atLeast: 1)
            async let second = instances[1].post("/v1/chat/completions", body)
            async let third = instances[2].post("/v1/chat/completions", body)
            await instances[1].server.shared!.leaseWaits.reached(atLeast: 1)
            await instances[2].server.shared!.leaseWaits.reached(atLeast: 1)
            instances[0].stats.open(gate: "g")
            let replies = try await [led, second, third]
            #expect(instances[0].stats.requestCount == 1)
            #expect(replies.allSatisfy { $0.status == 200 })
            #expect(Set(replies.map(\.body)).count == 1, "every instance answers the same bytes")
            #expect(replies.map { $0.header("x-llmcache-status") } == ["MISS", "COALESCED", "COALESCED"])
            #expect(replies.dropFirst().allSatisfy { $0.header("x-llmcache-tier") == "shared" })
            let stats = try await instances[1].get("/stats").text
            #expect(stats.contains(#""lease_waits":1"#) && stats.contains(#""failing":false"#), "\(stats)")
        }
    }

    /// A fetch that outlives the lease (its instance hung or died) blocks nobody past
    /// `lease_timeout`: the waiter fetches itself.
    @Test func aWaiterFetchesItselfOnceTheLeaseRunsOut() async throws {
        try await Self.withInstances(2, leaseTimeout: .milliseconds(500)) { instances in
            let body = chat("a leader that never answers")
            async let stuck = instances[0].post("/v1/chat/completions", body, headers: [("x-mock-gate", "never")])
            await instances[0].server.shared!.leasesTaken.reached(atLeast: 1)
            let waiter = try await instances[1].post("/v1/chat/completions", body)
            #expect(waiter.status == 200)
            #expect(waiter.header("x-llmcache-status") == "MISS")
            #expect(instances[1].server.shared!.leaseWaits.count >= 1)
            instances[0].stats.open(gate: "never")
            #expect(try await stuck.status == 200)
            #expect(instances[0].stats.requestCount == 2)
        }
    }

    /// A fetch that stores nothing (the upstream failed) wakes the waiters at once; they do not
    /// take the error for an answer, and fetch themselves.
    @Test func aFailedFetchWakesTheWaitersWhoFetchThemselves() async throws {
        try await Self.withInstances(2) { instances in
            let body = chat("the upstream fails the first time")
            async let failed = instances[0].post(
                "/v1/chat/completions", body, headers: [("x-mock-gate", "g"), ("x-mock-status", "400")])
            await instances[0].server.shared!.leasesTaken.reached(atLeast: 1)
            async let waiter = instances[1].post("/v1/chat/completions", body)
            await instances[1].server.shared!.leaseWaits.reached(atLeast: 1)
            instances[0].stats.open(gate: "g")
            #expect(try await failed.status == 400)
            let answered = try await waiter
            #expect(answered.status == 200)
            #expect(answered.header("x-llmcache-status") == "MISS")
            #expect(instances[0].stats.requestCount == 2)
        }
    }
}
