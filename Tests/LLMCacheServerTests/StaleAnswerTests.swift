import LLMCacheCore
import LLMCacheServer
import LLMCacheTestSupport
import Testing

/// Entries past their TTL answering as STALE (RFC 5861): while one background request refreshes
/// them, or while the upstream fails — and not past their windows.
@Suite struct StaleAnswerTests {
    let scratch = ScratchDirectory()

    /// A proxy whose entries live 60 s (on `clock`), with `policy`.
    private func run(
        _ policy: StalePolicy, clock: ManualClock, store: Bool = true,
        configure more: (inout ProxyConfiguration) -> Void = { _ in }, _ body: (ProxyHarness) async throws -> Void
    ) async throws {
        try await ProxyHarness.run(
            store: store ? scratch.path + "/store" : nil, clock: clock,
            configure: {
                $0.defaultTTL = .seconds(60)
                $0.stale = policy
                more(&$0)
            }, body)
    }

    @Test func staleIfErrorAnswersDuringAnOutageAndNotAfterItsWindow() async throws {
        let clock = ManualClock()
        try await run(StalePolicy(ifError: .seconds(300)), clock: clock) { harness in
            let first = try await harness.post("/v1/chat/completions", chat("outage"))
            #expect(first.header("x-llmcache-status") == "MISS")
            clock.advance(by: .seconds(30))
            #expect(try await harness.post("/v1/chat/completions", chat("outage")).header("x-llmcache-status") == "HIT")

            // Past the TTL, the provider fails: the stored answer, marked.
            clock.advance(by: .seconds(40))
            for failure in ["503", "429", "500"] {
                let stale = try await harness.post(
                    "/v1/chat/completions", chat("outage"), headers: [("x-mock-status", failure)])
                #expect(stale.status == 200 && stale.body == first.body, "\(failure)")
                #expect(stale.header("x-llmcache-status") == "STALE")
                #expect(stale.header("warning")?.hasPrefix("111 ") == true)
                #expect(stale.header("age") == "70")
            }
            // Past the TTL with the provider up: fetched again (and stored).
            let refetched = try await harness.post("/v1/chat/completions", chat("outage"))
            #expect(refetched.header("x-llmcache-status") == "MISS" && refetched.header("warning") == nil)

            // Past TTL + window: the failure is the answer.
            _ = try await harness.post("/v1/chat/completions", chat("window"))
            clock.advance(by: .seconds(60 + 301))
            let failed = try await harness.post(
                "/v1/chat/completions", chat("window"), headers: [("x-mock-status", "503")])
            #expect(failed.status == 503 && failed.header("x-llmcache-status") != "STALE")

            let stats = try JSONParser.parse(try await harness.get("/stats").body)
            #expect(stats["requests"]?["STALE"]?.intValue == 3)
        }
    }

    /// The proxy's own failures count as the upstream's: a head that does not come in time (504).
    /// The answer is stored by a proxy with the default head timeout (so a loaded machine cannot
    /// turn the first fetch into a timeout); a second proxy on the same store waits 300 ms for a
    /// head the mock holds at a gate until the end.
    @Test func staleIfErrorCoversAnUpstreamThatTimesOut() async throws {
        let clock = ManualClock()
        var stored: ProxyHarness.Reply?
        try await run(StalePolicy(ifError: .seconds(300)), clock: clock) { harness in
            stored = try await harness.post("/v1/chat/completions", chat("slow"))
        }
        let first = try #require(stored)
        #expect(first.status == 200 && first.header("x-llmcache-status") == "MISS")
        clock.advance(by: .seconds(61))
        try await run(
            StalePolicy(ifError: .seconds(300)), clock: clock,
            configure: { $0.upstream.headTimeout = .milliseconds(300) }
        ) { harness in
            let held = [("x-mock-gate", "never")]
            let stale = try await harness.post("/v1/chat/completions", chat("slow"), headers: held)
            #expect(stale.status == 200 && stale.header("x-llmcache-status") == "STALE" && stale.body == first.body)
            let uncached = try await harness.post("/v1/chat/completions", chat("never stored"), headers: held)
            #expect(uncached.status == 504)
            harness.stats.open(gate: "never")
        }
    }

    @Test func staleWhileRevalidateAnswersAtOnceAndRefreshesOnce() async throws {
        let clock = ManualClock()
        try await run(StalePolicy(whileRevalidate: .seconds(300)), clock: clock) { harness in
            let first = try await harness.post("/v1/chat/completions", chat("revalidate"))
            #expect(first.header("x-llmcache-status") == "MISS")
            clock.advance(by: .seconds(61))
            // The refresh is held upstream (at the mock's gate) while stale hits keep coming.
            let gate = [("x-mock-gate", "refresh")]
            let stale = try await harness.post("/v1/chat/completions", chat("revalidate"), headers: gate)
            // Required: without it no refresh starts, and the wait below would never end.
            try #require(stale.header("x-llmcache-status") == "STALE")
            #expect(stale.body == first.body && stale.header("warning")?.hasPrefix("110 ") == true)
            await harness.stats.gateArrivals.reached(atLeast: 1)
            let statuses = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<49 {
                    group.addTask {
                        try await harness.post("/v1/chat/completions", chat("revalidate"), headers: gate)
                            .header("x-llmcache-status")
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(statuses.count == 49 && statuses.allSatisfy { $0 == "STALE" })
            #expect(harness.stats.requestCount == 2, "one refresh for fifty stale hits")

            harness.stats.open(gate: "refresh")
            await harness.server.fetchesFinished()
            let fresh = try await harness.post("/v1/chat/completions", chat("revalidate"))
            #expect(fresh.header("x-llmcache-status") == "HIT" && fresh.header("age") == "0")
            #expect(harness.stats.requestCount == 2)

            // Past TTL + window: a miss like any other.
            clock.advance(by: .seconds(60 + 301))
            #expect(
                try await harness.post("/v1/chat/completions", chat("revalidate")).header("x-llmcache-status") == "MISS"
            )
            let stats = try JSONParser.parse(try await harness.get("/stats").body)
            #expect(stats["requests"]?["STALE"]?.intValue == 50)
        }
    }

    @Test func requestDirectivesNarrowOrWidenWhatIsKept() async throws {
        let clock = ManualClock()
        try await run(StalePolicy(ifError: .seconds(300)), clock: clock, store: false) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("directives"))
            clock.advance(by: .seconds(80))  // 20 s stale
            // stale-if-error=10: the client accepts less than the configured window.
            let narrow = try await harness.post(
                "/v1/chat/completions", chat("directives"),
                headers: [("x-mock-status", "503"), ("cache-control", "stale-if-error=10")])
            #expect(narrow.status == 503)
            // Replay mode cannot reach the upstream: within stale-if-error, the stale answer.
            let replayed = try await harness.post(
                "/v1/chat/completions", chat("directives"), headers: [("x-llmcache-mode", "replay")])
            #expect(replayed.status == 200 && replayed.header("x-llmcache-status") == "STALE")
            let before = harness.stats.requestCount
            // max-stale=30: served at once, though the server keeps it only for errors — and
            // refreshed behind it.
            let widened = try await harness.post(
                "/v1/chat/completions", chat("directives"), headers: [("cache-control", "max-stale=30")])
            #expect(widened.header("x-llmcache-status") == "STALE")
            await harness.server.fetchesFinished()
            #expect(harness.stats.requestCount == before + 1, "one background refresh")
            #expect(
                try await harness.post("/v1/chat/completions", chat("directives")).header("x-llmcache-status") == "HIT")
        }
    }

    @Test func withoutWindowsEntriesExpireAtTheirTTLAsBefore() async throws {
        let clock = ManualClock()
        try await ProxyHarness.run(
            store: scratch.path + "/store", clock: clock, configure: { $0.defaultTTL = .seconds(60) }
        ) {
            harness in
            _ = try await harness.post("/v1/chat/completions", chat("plain"))
            clock.advance(by: .seconds(61))
            let failed = try await harness.post(
                "/v1/chat/completions", chat("plain"),
                headers: [("x-mock-status", "503"), ("cache-control", "max-stale")])
            #expect(failed.status == 503)
        }
    }
}
