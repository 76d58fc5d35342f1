import AsyncHTTPClient
import LLMCacheCore
import LLMCacheServer
import LLMCacheShared
import LLMCacheTestSupport
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several llmcache instances (each a whole proxy with its own L1) on one PostgreSQL database,
/// sending their misses to one mock upstream.
extension PostgresSuites {
    @Suite struct SharedProxyTests {
        /// Runs `body` with `count` proxies (memory only) on `cluster`, or on a fresh one; all call
        /// the first one's mock. Unless `attached` is false (a test of a start while the database
        /// is away), `body` runs once every instance has read the database's secret: a connection
        /// slower than the connect timeout on a loaded machine starts an instance detached, and it
        /// joins by itself later (after the pool's backoff: 69 s once, with a 1 s timeout).
        static func withInstances(
            _ count: Int, on cluster: PostgresCluster? = nil, leaseTimeout: Duration = .seconds(30),
            lookupTimeout: Duration = .seconds(5), attached: Bool = true, _ body: ([ProxyHarness]) async throws -> Void
        ) async throws {
            guard let cluster else {
                return try await PostgresCluster.with { cluster in
                    try await withInstances(
                        count, on: cluster, leaseTimeout: leaseTimeout, lookupTimeout: lookupTimeout,
                        attached: attached, body)
                }
            }
            let shared = SharedTierConfiguration(
                url: cluster.url, poolSize: 2, lookupTimeout: lookupTimeout, connectTimeout: .seconds(10),
                leaseTimeout: leaseTimeout, breakerDelay: .milliseconds(200))
            func start(_ harnesses: [ProxyHarness]) async throws {
                if harnesses.count == count {
                    if attached {
                        for harness in harnesses { await harness.server.shared!.attached.reached(atLeast: 1) }
                    }
                    return try await body(harnesses)
                }
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

        /// 90 identical requests, 30 on each of three instances, while the first one's fetch is held
        /// upstream: one upstream call. The first instance's other requests follow its flight; on
        /// the other two, one request waits on the lease and 29 follow it locally, and all 60 answer
        /// from the shared tier once the answer is stored.
        @Test(arguments: [false, true]) func ninetyRequestsOnThreeInstancesMakeOneUpstreamCall(stream: Bool)
            async throws
        {
            try await Self.withInstances(3) { instances in
                let body = chat("three instances, one call", stream: stream)
                let gate = stream ? [("x-mock-gate", "g"), ("x-mock-gate-after", "1")] : [("x-mock-gate", "g")]
                try await withThrowingTaskGroup(of: (Int, ProxyHarness.Reply).self) { group in
                    group.addTask { (0, try await instances[0].post("/v1/chat/completions", body, headers: gate)) }
                    await instances[0].server.shared!.leasesTaken.reached(atLeast: 1)
                    for (index, instance) in instances.enumerated() {
                        for _ in 0..<(index == 0 ? 29 : 30) {
                            group.addTask { (index, try await instance.post("/v1/chat/completions", body)) }
                        }
                        await instance.server.followersJoined(atLeast: 29)
                        if index > 0 { await instance.server.shared!.leaseWaits.reached(atLeast: 1) }
                    }
                    instances[0].stats.open(gate: "g")
                    let replies = try await group.reduce(into: []) { $0.append($1) }
                    #expect(replies.count == 90 && instances[0].stats.requestCount == 1)
                    #expect(replies.allSatisfy { $0.1.status == 200 })
                    #expect(Set(replies.map(\.1.body)).count == 1, "every instance answers the same bytes")
                    let statuses = replies.map { $0.1.header("x-llmcache-status") ?? "" }
                    #expect(
                        statuses.filter { $0 == "MISS" }.count == 1 && statuses.filter { $0 == "COALESCED" }.count == 89
                    )
                    #expect(replies.filter { $0.0 > 0 }.allSatisfy { $0.1.header("x-llmcache-tier") == "shared" })
                }
                let stats = try await instances[1].get("/stats").text
                #expect(stats.contains(#""lease_waits":1"#) && stats.contains(#""failing":false"#), "\(stats)")
            }
        }

        /// Restarted with empty local tiers, every instance still hits what one of them stored.
        @Test func freshInstancesOnTheSameDatabaseStillHit() async throws {
            try await PostgresCluster.with { cluster in
                let body = chat("stored before the restart")
                var stored: [UInt8] = []
                try await Self.withInstances(3, on: cluster) { instances in
                    stored = try await instances[0].post("/v1/chat/completions", body).body
                    await instances[0].server.fetchesFinished()
                }
                try await Self.withInstances(3, on: cluster) { instances in
                    for instance in instances {
                        let reply = try await instance.post("/v1/chat/completions", body)
                        #expect(
                            reply.header("x-llmcache-status") == "HIT" && reply.header("x-llmcache-tier") == "shared")
                        #expect(reply.body == stored)
                    }
                    #expect(instances[0].stats.requestCount == 0)
                }
            }
        }

        /// A purge through one instance reaches the others' memory tiers too.
        @Test func aPurgeOnOneInstanceReachesEveryInstancesLocalTiers() async throws {
            try await Self.withInstances(3) { instances in
                let body = chat("purged everywhere")
                let team = [("x-llmcache-namespace", "team-a")]
                let first = try await instances[0].post("/v1/chat/completions", body, headers: team)
                await instances[0].server.fetchesFinished()
                let key = try #require(first.header("x-llmcache-key").flatMap { CacheKey(hex: $0) })
                for instance in instances.dropFirst() {
                    #expect(
                        try await instance.post("/v1/chat/completions", body, headers: team).header("x-llmcache-tier")
                            == "shared")
                }
                for instance in instances { #expect(await instance.server.cache.memory.holds(key)) }
                let removed = try await instances[1].server.cache.removeAll(namespace: "team-a")
                #expect(removed["shared"] == 1)
                await instances[0].server.shared!.purgesApplied.reached(atLeast: 1)
                await instances[2].server.shared!.purgesApplied.reached(atLeast: 1)
                for instance in instances { #expect(!(await instance.server.cache.memory.holds(key))) }
                let again = try await instances[2].post("/v1/chat/completions", body, headers: team)
                #expect(again.header("x-llmcache-status") == "MISS")
                #expect(instances[0].stats.requestCount == 2)
            }
        }

        /// PostgreSQL stopped while requests flow: every request is still answered (from the
        /// upstream), errors are counted; started again, the tier recovers by itself and shared hits
        /// resume without restarting llmcache.
        @Test func theDatabaseStoppingAndStartingFailsNoRequest() async throws {
            try await PostgresCluster.with { cluster in
                try await Self.withInstances(2, on: cluster, lookupTimeout: .seconds(1)) { instances in
                    let (a, b) = (instances[0], instances[1])
                    try await cluster.kill()
                    let replies = try await withThrowingTaskGroup(of: ProxyHarness.Reply.self) { group in
                        for index in 0..<40 {
                            group.addTask {
                                try await instances[index % 2].post(
                                    "/v1/chat/completions", chat("in the outage \(index % 10)"))
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                    #expect(replies.count == 40 && replies.allSatisfy { $0.status == 200 }, "no request fails")
                    for instance in instances {
                        let report = instance.server.shared!.report
                        #expect(report.failing && report.errors >= 1)
                    }
                    try await cluster.start()
                    // Each instance's writer gets its queued answers in, and the tier works again.
                    await a.server.shared!.recoveries.reached(atLeast: 1)
                    await b.server.shared!.recoveries.reached(atLeast: 1)
                    let body = chat("after the outage")
                    #expect(try await a.post("/v1/chat/completions", body).header("x-llmcache-status") == "MISS")
                    await a.server.fetchesFinished()
                    let hit = try await b.post("/v1/chat/completions", body)
                    #expect(hit.header("x-llmcache-status") == "HIT" && hit.header("x-llmcache-tier") == "shared")
                }
            }
        }

        /// The database away when an instance starts: it serves (every request from the upstream),
        /// and joins the shared tier by itself once the database answers.
        @Test func anInstanceStartedWhileTheDatabaseIsAwayServesAndJoinsLater() async throws {
            try await PostgresCluster.with { cluster in
                try await cluster.kill()
                try await Self.withInstances(1, on: cluster, lookupTimeout: .seconds(1), attached: false) { instances in
                    let a = instances[0]
                    let before = try await a.post("/v1/chat/completions", chat("before the database"))
                    #expect(before.status == 200 && before.header("x-llmcache-status") == "MISS")
                    #expect(a.server.shared!.report.failing && a.server.shared!.tenantSecret == nil)
                    try await cluster.start()
                    await a.server.shared!.attached.reached(atLeast: 1)
                    let body = chat("once the database answers")
                    _ = try await a.post("/v1/chat/completions", body)
                    await a.server.fetchesFinished()
                    try await Self.withInstances(1, on: cluster) { others in
                        let hit = try await others[0].post("/v1/chat/completions", body)
                        #expect(hit.header("x-llmcache-status") == "HIT" && hit.header("x-llmcache-tier") == "shared")
                    }
                }
            }
        }

        /// A request whose answer will not be stored (`no-store`) takes no lease: no other instance
        /// waits for an answer that never reaches the table.
        @Test func aNoStoreRequestMakesNobodyWait() async throws {
            try await Self.withInstances(1) { instances in
                let reply = try await instances[0].post(
                    "/v1/chat/completions", chat("not for keeping"), headers: [("cache-control", "no-store")])
                #expect(reply.status == 200)
                #expect(instances[0].server.shared!.leasesTaken.count == 0)
                _ = try await instances[0].post("/v1/chat/completions", chat("for keeping"))
                #expect(instances[0].server.shared!.leasesTaken.count == 1, "an ordinary miss does take one")
            }
        }

        /// The leader, a real `llmcache serve` process, killed while its fetch is held upstream:
        /// the other instance waits no longer than the lease, then fetches itself — one more
        /// upstream call, nobody hangs.
        @Test func aKilledLeaderProcessBlocksNobodyPastTheLease() async throws {
            try await PostgresCluster.with { cluster in
                try await Self.withInstances(1, on: cluster, leaseTimeout: .seconds(1)) { instances in
                    let survivor = instances[0]
                    let leader = try ChildProcess(
                        arguments: [
                            try llmcacheExecutable(), "serve", "--memory-only", "--no-admin", "--port", "0",
                            "--upstream",
                            "http://127.0.0.1:\(survivor.mockPort)", "--shared-postgres", cluster.url,
                        ],
                        environment: ["LLMCACHE_SHARED_POSTGRES_LEASE_TIMEOUT": "1s"])
                    let banner = try await onOwnThread { leader.readLine(containing: "llmcache listening") }
                    let port = try #require(banner.flatMap(Self.port(inBanner:)), "\(banner ?? "no banner")")
                    let body = chat("a leader about to die")
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
                    request.method = .POST
                    request.headers.add(name: "content-type", value: "application/json")
                    request.headers.add(name: "x-mock-gate", value: "held")
                    request.body = .bytes(ByteBuffer(string: body))
                    let held = Task { try await survivor.client.execute(request, timeout: .seconds(30)) }
                    await survivor.stats.gateArrivals.reached(atLeast: 1)
                    #expect(try await onOwnThread { leader.signal(SIGKILL) } & 0x7f == SIGKILL)
                    _ = try? await held.value
                    let reply = try await survivor.post("/v1/chat/completions", body)
                    #expect(reply.status == 200 && reply.header("x-llmcache-status") == "MISS")
                    #expect(survivor.server.shared!.leaseWaits.count >= 1, "it waited for the dead leader first")
                    #expect(survivor.stats.requestCount == 2)
                    survivor.stats.open(gate: "held")
                }
            }
        }

        /// `… address=http://127.0.0.1:PORT/v1 …` in the listening log line.
        static func port(inBanner line: String) -> Int? {
            guard let start = line.range(of: "http://127.0.0.1:") else { return nil }
            return Int(line[start.upperBound...].prefix { $0.isNumber })
        }

        /// A fetch that outlasts `lease_timeout` on a living instance keeps its lease (renewed every
        /// third of it): the waiter on the other instance waits as long as the fetch runs and makes
        /// no call of its own. (A leader that died stops renewing: the killed-leader test.)
        @Test func aLongFetchKeepsItsLeaseAndItsWaiters() async throws {
            // 1 s: a renewal every 333 ms leaves a late one (a loaded machine) 667 ms of margin.
            try await Self.withInstances(2, leaseTimeout: .seconds(1)) { instances in
                let body = chat("a long generation")
                let leader = instances[0].server.shared!
                async let long = instances[0].post("/v1/chat/completions", body, headers: [("x-mock-gate", "long")])
                await leader.leasesTaken.reached(atLeast: 1)
                async let waiter = instances[1].post("/v1/chat/completions", body)
                await instances[1].server.shared!.leaseWaits.reached(atLeast: 1)
                // Four renewals (every third of the lease) after the wait began: longer than the
                // lease itself.
                await leader.leaseRenewals.reached(atLeast: leader.leaseRenewals.count + 4)
                instances[0].stats.open(gate: "long")
                #expect(try await long.status == 200)
                let answered = try await waiter
                #expect(answered.status == 200)
                #expect(answered.header("x-llmcache-status") == "COALESCED")
                #expect(answered.header("x-llmcache-tier") == "shared")
                #expect(instances[0].stats.requestCount == 1, "one upstream call for both instances")
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
}
