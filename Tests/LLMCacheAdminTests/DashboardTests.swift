import AsyncHTTPClient
import LLMCacheAdmin
import LLMCacheCore
import LLMCacheTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// `/dashboard` and the data it draws (`/stats?view=dashboard`).
@Suite struct DashboardTests {
    let scratch = ScratchDirectory()

    func admin(_ harness: ProxyHarness, _ path: String, token: String? = nil) async throws -> ProxyHarness.Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.adminPort!)\(path)")
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        return try await harness.send(request)
    }

    /// The page in Debian's headless Chromium (`tools/browser/dashboard_check.py`, over the
    /// DevTools protocol): after known traffic, every number it shows equals `/stats`; it asks
    /// for the token and keeps it out of addresses; recent misses name the changed field and no
    /// prompt; stopping the proxy shows "disconnected", starting it again recovers. The
    /// screenshot is left in `.build/test-artifacts/dashboard.png`.
    @Test(.timeLimit(.minutes(5))) func theRenderedPageShowsWhatStatsSays() async throws {
        let (output, status) = try await runPython([
            "tools/browser/dashboard_check.py", try llmcacheExecutable(), ".build/test-artifacts/dashboard.png",
        ])
        #expect(status == 0, "the browser check failed (chromium: tools/install-deps.sh):\n\(output)")
        #expect(output.contains("CHECKED"), "\(output)")
    }

    /// With a token configured, the page is sent without it — as a 401 holding no number, that
    /// asks for the token — and its data is refused; nothing is cached or framed.
    @Test func withoutTheTokenThePageHoldsNothingAndTheDataIsRefused() async throws {
        try await ProxyHarness.run(
            store: nil, admin: AdminConfiguration(host: "127.0.0.1", port: 0, token: "s3cret")
        ) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("count me"))
            let page = try await admin(harness, "/dashboard")
            #expect(page.status == 401)
            #expect(page.header("content-type") == "text/html; charset=utf-8")
            #expect(page.text.contains("window.llmcacheDashboard") && page.text.contains("token-form"))
            #expect(!page.text.contains("gpt-4o-mini") && !page.text.contains("count me"))
            #expect(page.header("cache-control") == "no-store")
            #expect(page.header("content-security-policy")?.contains("connect-src 'self'") == true)
            #expect(page.header("content-security-policy")?.contains("frame-ancestors 'none'") == true)
            for token in [nil, "wrong"] {
                let data = try await admin(harness, "/stats?view=dashboard", token: token)
                #expect(data.status == 401)
                #expect(!data.text.contains("gpt-4o-mini"))
            }
            #expect(try await admin(harness, "/dashboard", token: "s3cret").status == 200)
            let data = try await admin(harness, "/stats?view=dashboard", token: "s3cret")
            #expect(data.status == 200)
            let stats = try JSONParser.parse(data.body)
            #expect(stats["requests"]?["MISS"]?.intValue == 1)
            #expect(stats["history"]?["interval_seconds"]?.intValue == 10)
            #expect(stats["recent_misses"]?[0]?["model"]?.stringValue == "gpt-4o-mini")
            #expect(stats["configuration"] != nil)
            // The proxy's own listener keeps the plain /stats.
            let plain = try JSONParser.parse(try await harness.get("/stats?view=dashboard").body)
            #expect(plain["history"] == nil && plain["recent_misses"] == nil && plain["requests"] != nil)
        }
    }

    /// A miss is explained when the dashboard asks, against what was stored before it: the
    /// first request of a route and model has nothing to compare (its own answer, stored since,
    /// is not "the nearest"), a later one with another temperature names `$.temperature`.
    /// Explanations name fields, never their values; the log keeps the newest 20 misses.
    @Test func recentMissesAreExplainedAgainstWhatWasStoredBeforeThem() async throws {
        try await ProxyHarness.run(store: scratch.path + "/misses", admin: AdminConfiguration(port: 0)) { harness in
            let first = try await harness.post("/v1/chat/completions", chat("SECRET-WORDS"))
            #expect(first.header("x-llmcache-status") == "MISS")
            await harness.server.fetchesFinished()
            await harness.server.store?.committed()
            let second = try await harness.post(
                "/v1/chat/completions", chat("SECRET-WORDS", extra: #","temperature":0.9"#))
            #expect(second.header("x-llmcache-status") == "MISS")
            _ = try await harness.post("/v1/chat/completions", chat("SECRET-WORDS"))  // a hit
            await harness.server.fetchesFinished()
            await harness.server.store?.committed()
            let reply = try await admin(harness, "/stats?view=dashboard")
            let stats = try JSONParser.parse(reply.body)
            let newest = try #require(stats["recent_misses"]?[0]?["explanation"]?.stringValue)
            let oldest = try #require(stats["recent_misses"]?[1]?["explanation"]?.stringValue)
            #expect(newest.contains("differs in $.temperature"), "\(newest)")
            #expect(oldest.contains("no stored request of that route and model"), "\(oldest)")
            #expect(!reply.text.contains("SECRET-WORDS"))
            #expect(stats["misses"]?["by_model"]?["gpt-4o-mini"]?.intValue == 2)
            #expect(stats["misses"]?["by_route"]?["POST /v1/chat/completions"]?.intValue == 2)
            #expect(stats["saved"]?["by_model"]?["gpt-4o-mini"]?["hits"]?.intValue == 1)
            // Bounded: the newest 20.
            for index in 0..<25 { _ = try await harness.post("/v1/chat/completions", chat("more \(index)")) }
            let later = try JSONParser.parse(try await admin(harness, "/stats?view=dashboard").body)
            guard case .array(let recent)? = later["recent_misses"] else {
                Issue.record("no recent_misses")
                return
            }
            #expect(recent.count == 20)
            #expect(later["misses"]?["by_model"]?["gpt-4o-mini"]?.intValue == 27)
        }
    }
}

extension DashboardTests {
    /// `llmcache stats --watch` against the admin API: refreshes, then the totals and the recent
    /// misses with their explanations; `--count` ends it.
    @Test func statsWatchShowsTheLiveViewInATerminal() async throws {
        try await ProxyHarness.run(store: scratch.path + "/watch", admin: AdminConfiguration(port: 0)) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("watch me"))
            _ = try await harness.post("/v1/chat/completions", chat("watch me"))
            let process = try ChildProcess(arguments: [
                try llmcacheExecutable(), "stats", "--url", "http://127.0.0.1:\(harness.adminPort!)", "--watch",
                "--count", "2", "--interval", "0.1",
            ])
            let (output, status) = try await onOwnThread { (process.readAll(), process.wait()) }
            #expect(status == 0, "\(output)")
            let frames = output.components(separatedBy: "— every ")
            #expect(frames.count == 3, "two frames: \(output)")
            #expect(frames[1].contains("(after the next refresh)"))
            #expect(frames[2].contains("no requests"), "nothing happened between the frames: \(frames[2])")
            #expect(frames[2].contains("requests          HIT 1, MISS 1"), "\(frames[2])")
            #expect(frames[2].contains("recent misses (newest first)"))
            #expect(frames[2].contains("no stored request of that route and model"), "\(frames[2])")
            #expect(!output.contains("watch me"))
        }
    }

    @Test func statsWatchRefusesNonsense() async throws {
        for arguments in [
            ["--watch"], ["--url", "http://127.0.0.1:1", "--watch", "--interval", "0"],
            ["--url", "http://127.0.0.1:1", "--watch", "--count", "0"],
            ["--url", "http://127.0.0.1:1", "--watch", "--json"],
        ] {
            let process = try ChildProcess(arguments: [try llmcacheExecutable(), "stats"] + arguments)
            let (output, status) = try await onOwnThread { (process.readAll(), process.wait()) }
            #expect(status != 0, "\(arguments): \(output)")
            #expect(output.contains("Error:"), "\(arguments): \(output)")
        }
    }
}

extension DashboardTests {
    /// One raw request to the admin listener (any `Host`, any `Origin`): the status line and body.
    func raw(_ harness: ProxyHarness, _ request: String) async throws -> String {
        let connection = try RawConnection(port: harness.adminPort!)
        defer { connection.close() }
        #expect(connection.send(request))
        return try await connection.readToClose().text
    }

    /// Now that browsers visit the admin listener: another site's page cannot make it change
    /// anything (its `Origin` is refused), and without a token a loopback listener answers only
    /// `Host: localhost` or an IP address (a DNS-rebound name is refused); with a token, the
    /// token is what counts.
    @Test func otherSitesPagesAreKeptOut() async throws {
        try await ProxyHarness.run(store: nil, admin: AdminConfiguration(port: 0)) { harness in
            let port = harness.adminPort!
            #expect(try await harness.post("/v1/chat/completions", chat("keep")).header("x-llmcache-status") == "MISS")
            let purge = #"{"all":true}"#
            for (origin, expected) in [
                ("http://evil.example", "403"), ("null", "403"), ("http://127.0.0.1:\(port)", "200"),
            ] {
                let reply = try await raw(
                    harness,
                    "POST /admin/purge HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: \(origin)\r\n"
                        + "Content-Type: text/plain\r\nContent-Length: \(purge.utf8.count)\r\nConnection: close\r\n\r\n\(purge)"
                )
                #expect(reply.hasPrefix("HTTP/1.1 \(expected)"), "\(origin): \(reply)")
                if expected == "403" {
                    #expect(reply.contains("cross_origin"))
                    #expect(
                        try await harness.post("/v1/chat/completions", chat("keep")).header("x-llmcache-status")
                            == "HIT")
                }
            }
            for (host, expected) in [
                ("attacker.example:\(port)", "403"), ("127.0.0.1.nip.io", "403"), ("localhost:\(port)", "200"),
                ("127.0.0.1:\(port)", "200"), ("[::1]:\(port)", "200"),
            ] {
                for path in ["/stats", "/dashboard", "/admin/export"] {
                    let reply = try await raw(
                        harness, "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
                    let status = path == "/admin/export" && expected == "200" ? "404" : expected  // memory only
                    #expect(reply.hasPrefix("HTTP/1.1 \(status)"), "\(host) \(path): \(reply.prefix(200))")
                    if expected == "403" { #expect(reply.contains("host_not_allowed") && !reply.contains(#""tiers""#)) }
                }
            }
            let health = try await raw(
                harness, "GET /healthz HTTP/1.1\r\nHost: anything.example\r\nConnection: close\r\n\r\n")
            #expect(health.hasPrefix("HTTP/1.1 200"))
        }
        try await ProxyHarness.run(store: nil, admin: AdminConfiguration(port: 0, token: "s3cret")) { harness in
            let reply = try await raw(
                harness,
                "GET /stats HTTP/1.1\r\nHost: my-proxy.internal:8091\r\nAuthorization: Bearer s3cret\r\nConnection: close\r\n\r\n"
            )
            #expect(reply.hasPrefix("HTTP/1.1 200"), "with a token any name may be used: \(reply.prefix(200))")
        }
    }
}

extension JSONValue {
    /// The element at `index` of an array.
    fileprivate subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
