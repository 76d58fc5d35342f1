import LLMCacheConfig
import Testing

@Suite struct ConfigRenderingTests {
    let yaml = """
        store: {enabled: false}
        cache: {mode: record, ttl: 90m}
        memory: {limit: 512MiB}
        upstreams:
          openai: {api_key: sk-live-123}
          "odd-id": {url: "http://h:1/x y#z", fallbacks: [openai]}
        routes: [{prefix: /odd, upstream: odd-id}]
        prices: {"gpt-4o": {input: 2.5, output: 10}}
        admin: {token: admin-secret}
        shared:
          postgres: {url: "postgres://cache:pg-secret@db:5432/llm", table_prefix: team_a_, lease_timeout: 45s}
        plugins:
          - name: access_log
            priority: -3
            settings:
              path: "a: b.jsonl"
              api_key: plugin-secret
              patterns: ["sk-[a-z]+", "\\\\d{4}"]
        """

    @Test func secretsAreRedacted() throws {
        let settings = try ConfigLoader(path: nil, environment: [:]).load(text: yaml, source: "t")
        let text = settings.yaml()
        for secret in ["sk-live-123", "admin-secret", "plugin-secret", "pg-secret"] { #expect(!text.contains(secret)) }
        #expect(text.contains("<redacted>"))
        #expect(text.contains("postgres://cache:<redacted>@db:5432/llm"), "the database stays recognisable")
        #expect(settings.yaml(redactingSecrets: false).contains("sk-live-123"))
    }

    @Test func renderedConfigurationReadsBackTheSame() throws {
        let settings = try ConfigLoader(path: nil, environment: [:]).load(text: yaml, source: "t")
        var expected = settings
        expected.memory.l1Bytes = settings.memory.effectiveL1Bytes
        let again = try ConfigLoader(path: nil, environment: [:]).load(
            text: settings.yaml(redactingSecrets: false), source: "rendered")
        #expect(again.listen == expected.listen && again.store == expected.store && again.cache == expected.cache)
        #expect(
            again.memory == expected.memory && again.upstreams == expected.upstreams && again.routes == expected.routes)
        #expect(again.prices == expected.prices && again.admin == expected.admin && again.manifest == expected.manifest)
        #expect(again.upstreamClient == expected.upstreamClient && again.shared == expected.shared)
        #expect(again.shared.postgres.tablePrefix == "team_a_" && again.shared.postgres.leaseTimeout == .seconds(45))
        #expect(again.plugins.map(\.name) == ["access_log"] && again.plugins[0].priority == -3)
        #expect(ConfigSection(again.plugins[0].settings).strings("patterns") == ["sk-[a-z]+", "\\d{4}"])
        #expect(ConfigSection(again.plugins[0].settings).string("path") == "a: b.jsonl")
        // The defaults render and read back too.
        let defaults = try ConfigLoader(path: nil, environment: [:]).load(text: LLMCacheSettings().yaml(), source: "d")
        #expect(defaults.listen == LLMCacheSettings().listen && defaults.upstreams == LLMCacheSettings().upstreams)
    }

    @Test func startupOnlyChangesAreListed() throws {
        let loader = ConfigLoader(path: nil, environment: [:])
        let old = try loader.load(text: "", source: "t")
        let new = try loader.load(
            text: "listen: {port: 1}\nstore: {path: other}\ncache: {mode: replay}\nmemory: {l1_bytes: 8MiB}\n",
            source: "t")
        #expect(new.startupOnlyChanges(from: old) == ["listen.port", "store.path"])
        #expect(
            try loader.load(text: "memory: {limit: 1GiB}", source: "t").startupOnlyChanges(from: old) == [
                "memory.limit (added or removed)"
            ])
    }

    @Test(arguments: [
        ("250ms", 250), ("30s", 30_000), ("5m", 300_000), ("2h", 7_200_000), ("1d", 86_400_000), ("45", 45_000),
    ])
    func durations(_ text: String, _ milliseconds: Int64) throws {
        let duration = try #require(ConfigDuration.parse(text))
        #expect(duration == .milliseconds(milliseconds))
        #expect(ConfigDuration.parse(ConfigDuration.format(duration)) == duration)
    }

    @Test(arguments: ["", "s", "-5s", "1.5h", "5 minutes", "99999999999999d"])
    func badDurations(_ text: String) {
        #expect(ConfigDuration.parse(text) == nil)
    }
}
