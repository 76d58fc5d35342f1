import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins
import LLMCacheServer
import LLMCacheTestSupport
import Testing

/// The built-in plugins, configured from YAML as a user would.
@Suite struct BuiltInPluginTests {
    func plugins(_ yaml: String) throws -> PluginChain {
        let settings = try ConfigLoader(path: nil, environment: [:]).load(text: yaml, source: "test.yaml")
        return try PluginRegistry.builtIn.makeChain(settings.plugins)
    }

    func lines(_ path: String) -> [String] {
        (readTextFile(path) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func keyRulesMakeNoisyRequestsShareAnEntry() async throws {
        let noisy = { (date: String, id: String) in chat("Today is \(date). Request \(id). What is 2+2?") }
        // Without the rule the dates make different keys.
        try await ProxyHarness.run(store: nil) { proxy in
            _ = try await proxy.post(
                "/v1/chat/completions", noisy("2026-11-25", "6f1c0a52-59a4-4f0e-9d1c-3b8f2d1e0a11"))
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 1)
            let other = try await proxy.post(
                "/v1/chat/completions", noisy("2026-11-26", "0b0c8a1e-1111-4222-8333-944455556666"))
            #expect(other.header("x-llmcache-status") == "MISS")
        }
        let chain = try plugins(
            #"""
            plugins:
              - name: key_rules
                settings:
                  rules:
                    - pattern: '\d{4}-\d{2}-\d{2}'
                      replace: <date>
                    - pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
                      replace: <uuid>
                  ignore_fields: [temperature]
            """#)
        try await ProxyHarness.run(store: nil, plugins: chain) { proxy in
            _ = try await proxy.post(
                "/v1/chat/completions", noisy("2026-11-25", "6f1c0a52-59a4-4f0e-9d1c-3b8f2d1e0a11"))
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 1)
            let hit = try await proxy.post(
                "/v1/chat/completions", noisy("2026-11-26", "0b0c8a1e-1111-4222-8333-944455556666"))
            #expect(hit.header("x-llmcache-status") == "HIT")
            let ignored = try await proxy.post(
                "/v1/chat/completions",
                chat(
                    "Today is 1999-01-01. Request 00000000-0000-4000-8000-000000000000. What is 2+2?",
                    extra: #","temperature":0.7"#))
            #expect(ignored.header("x-llmcache-status") == "HIT")
            // Text outside the rule's pattern still matters.
            let different = try await proxy.post("/v1/chat/completions", noisy("2026-11-26", "no uuid here"))
            #expect(different.header("x-llmcache-status") == "MISS")
            #expect(proxy.stats.requestCount == 2)
        }
    }

    @Test func redactionScrubsStoredAnswersAndRequests() async throws {
        let chain = try plugins(
            """
            plugins:
              - name: redaction
                settings:
                  patterns: ['sk-[A-Za-z0-9]{8,}', '[a-z.]+@[a-z]+\\.com']
                  requests: true
            """)
        let scratch = ScratchDirectory()
        try await ProxyHarness.run(store: scratch.path, plugins: chain) { proxy in
            let prompt = "my key is sk-ABCdef123456 and mail bob.smith@example.com"
            let miss = try await proxy.post("/v1/chat/completions", chat(prompt))
            // The client that caused the miss gets the answer as the upstream sent it.
            #expect(miss.text.contains("sk-ABCdef123456"))
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 1)
            let hit = try await proxy.post("/v1/chat/completions", chat(prompt))
            #expect(hit.header("x-llmcache-status") == "HIT")
            #expect(!hit.text.contains("sk-ABCdef123456"))
            #expect(!hit.text.contains("bob.smith@example.com"))
            #expect(hit.text.contains("my key is [REDACTED] and mail [REDACTED]"))
            let key = try #require(hit.header("x-llmcache-key"))
            // The stored request lives in the disk tier (L1 keeps only what a hit replays).
            await proxy.server.store?.committed()
            let entry = try #require(proxy.server.store?.get(CacheKey(hex: key)!))
            let stored = String(decoding: entry.canonicalRequest.readableBytesView, as: UTF8.self)
            #expect(!stored.contains("sk-ABCdef123456") && stored.contains("[REDACTED]"))
            // Streams are scrubbed chunk by chunk and keep their chunking.
            let streamPrompt = "stream sk-ZZZZZZZZZZZZ please"
            _ = try await proxy.post("/v1/chat/completions", chat(streamPrompt, stream: true))
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 2)
            let streamHit = try await proxy.post("/v1/chat/completions", chat(streamPrompt, stream: true))
            #expect(streamHit.header("x-llmcache-status") == "HIT")
            #expect(streamHit.text.contains("data: "))
            #expect(!streamHit.text.contains("sk-ZZZZZZZZZZZZ"))
            #expect(streamHit.text.contains("[REDACTED]"))
        }
    }

    @Test func accessLogWritesOneLinePerRequestWithoutSecrets() async throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/access.jsonl"
        let chain = try plugins("plugins:\n  - name: access_log\n    settings: {path: \(path)}\n")
        try await ProxyHarness.run(store: nil, plugins: chain) { proxy in
            let headers = [("authorization", "Bearer sk-very-secret"), ("x-llmcache-namespace", "team-a")]
            _ = try await proxy.post("/v1/chat/completions", chat("the secret prompt"), headers: headers)
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 1)
            _ = try await proxy.post("/v1/chat/completions", chat("the secret prompt"), headers: headers)
            _ = try await proxy.post("/v1/chat/completions", "{not json")
        }
        let logged = lines(path)
        #expect(logged.count == 3)
        let parsed = try logged.map { try JSONParser.parse(Array($0.utf8)) }
        #expect(parsed.map { $0["cache_status"]?.stringValue } == ["MISS", "HIT", "ERROR"])
        #expect(parsed.map { $0["tier"]?.stringValue } == ["upstream", "memory", "none"])
        #expect(parsed.map { $0["http_status"]?.intValue } == [200, 200, 400])
        #expect(parsed[0]["key"]?.stringValue?.count == 64)
        #expect(parsed[0]["key"] == parsed[1]["key"])
        #expect(parsed[0]["namespace"]?.stringValue == "team-a")
        #expect(parsed[0]["model"]?.stringValue == "gpt-4o-mini")
        #expect(parsed[0]["duration_ms"] != nil && parsed[0]["time"] != nil)
        for line in logged {
            #expect(!line.contains("sk-very-secret"))
            #expect(!line.contains("secret prompt"))
        }
        // Prompts only when asked.
        let withPrompts = scratch.path + "/prompts.jsonl"
        let asking = try plugins(
            "plugins:\n  - name: access_log\n    settings: {path: \(withPrompts), include_prompt: true}\n")
        try await ProxyHarness.run(store: nil, plugins: asking) { proxy in
            _ = try await proxy.post(
                "/v1/chat/completions", chat("the secret prompt"), headers: [("authorization", "Bearer sk-very-secret")]
            )
        }
        #expect(lines(withPrompts)[0].contains("the secret prompt"))
        #expect(!lines(withPrompts)[0].contains("sk-very-secret"))
    }

    @Test func accessLogThatCannotOpenItsFileDoesNotStart() async throws {
        let chain = try plugins("plugins:\n  - name: access_log\n    settings: {path: /nonexistent-dir/x.jsonl}\n")
        await #expect(throws: (any Error).self) { try await ProxyHarness.run(store: nil, plugins: chain) { _ in } }
    }

    @Test func headerRulesEditForwardedHeadersAndKeys() async throws {
        let chain = try plugins(
            """
            plugins:
              - name: header_rules
                settings:
                  set: {x-mock-padding: "30"}
                  remove: [x-mock-status]
                  key: [x-tenant]
            """)
        try await ProxyHarness.run(store: nil, plugins: chain) { proxy in
            // The upstream sees the set header (it pads) and not the removed one (no 500).
            let reply = try await proxy.post(
                "/v1/chat/completions", chat("headers"), headers: [("x-mock-status", "500"), ("x-tenant", "a")])
            #expect(reply.status == 200)
            #expect(reply.text.contains("lorem ipsum"))
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 1)
            let same = try await proxy.post("/v1/chat/completions", chat("headers"), headers: [("x-tenant", "a")])
            #expect(same.header("x-llmcache-status") == "HIT")
            let otherTenant = try await proxy.post(
                "/v1/chat/completions", chat("headers"), headers: [("x-tenant", "b")])
            #expect(otherTenant.header("x-llmcache-status") == "MISS")
            let none = try await proxy.post("/v1/chat/completions", chat("headers"))
            #expect(none.header("x-llmcache-status") == "MISS")
        }
    }

    @Test(arguments: [
        ("plugins:\n  - name: redaction\n", "plugins[0].settings.patterns"),
        ("plugins:\n  - name: redaction\n    settings: {patterns: ['(']}\n", "plugins[0].settings.patterns[0]"),
        ("plugins:\n  - name: key_rules\n    settings: {rules: [{replace: x}]}\n", "plugins[0].settings.rules[0]"),
        (
            "plugins:\n  - name: header_rules\n    settings: {set: {'bad header': x}}\n",
            "plugins[0].settings.set.bad header"
        ),
        ("plugins:\n  - name: access_log\n    settings: {path: a, colour: red}\n", "plugins[0].settings.colour"),
        ("plugins:\n  - name: acess_log\n", "plugins[0].name"),
    ])
    func badPluginSettingsNameTheirPath(_ yaml: String, _ path: String) throws {
        let error = try #require(throws: ConfigError.self) { try plugins(yaml) }
        #expect(error.issues.map(\.path).contains(path), "\(error)")
    }
}
