import LLMCacheConfig
import Testing

@Suite struct ConfigValidationTests {
    func load(_ yaml: String, environment: [String: String] = [:], overrides: [ConfigOverride] = []) throws
        -> LLMCacheSettings
    {
        try ConfigLoader(path: nil, environment: environment, overrides: overrides).load(
            text: yaml, source: "llmcache.yaml")
    }

    func issues(_ yaml: String) throws -> [ConfigIssue] {
        try #require(throws: ConfigError.self) { try load(yaml) }.issues
    }

    /// The admin API can purge and export everything: reachable from other machines, it needs a
    /// token, or an explicit allow_open.
    @Test func anOpenAdminAddressWithoutATokenIsRefused() throws {
        for host in ["0.0.0.0", "::", "192.168.1.10", "admin.example.com"] {
            let found = try issues("admin:\n  host: \"\(host)\"\n")
            #expect(found.map(\.path) == ["admin.host"], "\(host)")
            #expect(found.first?.message.contains("without a token") == true)
        }
        #expect(try load("admin:\n  host: 0.0.0.0\n  token: s3cret\n").admin.token == "s3cret")
        #expect(try load("admin:\n  host: 0.0.0.0\n  allow_open: true\n").admin.allowOpen)
        #expect(try load("admin:\n  host: 0.0.0.0\n  enabled: false\n").admin.enabled == false)
        for host in ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"] {
            #expect(try load("admin:\n  host: \"\(host)\"\n").admin.host == host)
        }
    }

    @Test func emptyFileIsTheDefaults() throws {
        #expect(try load("") == LLMCacheSettings())
        #expect(try load("# only a comment\n") == LLMCacheSettings())
    }

    @Test func readsEverySection() throws {
        let settings = try load(
            """
            listen: {host: 0.0.0.0, port: 9999}
            store: {path: /var/lib/llmcache, max_bytes: 2GiB, map_size: 64GiB}
            cache:
              mode: replay
              ttl: 7d
              stale_if_error: 1d
              stale_while_revalidate: 10m
              samples: 4
              share_across_credentials: true
              max_request_bytes: 1MiB
              max_stored_response_bytes: 4MiB
              max_json_depth: 64
            memory: {l1_bytes: 64MiB, limit: 1GiB}
            upstreams:
              openai: {url: "http://127.0.0.1:9000/", api_key: sk-test}
              local: {url: http://127.0.0.1:9001, provider: anthropic, fallbacks: [openai]}
            routes:
              - {prefix: /local/v1/messages, upstream: local}
              - {prefix: /raw, upstream: openai, cacheable: false}
              - {prefix: /evals, upstream: openai, samples: 8, stale_if_error: 1h, stale_while_revalidate: 0s}
            upstream_client: {connect_timeout: 500ms, head_timeout: 30s, total_timeout: 5m, max_connections_per_host: 8}
            manifest: {directory: manifests}
            prices:
              gpt-4o: {input: 2.5, output: 10}
              claude: {input: 3, output: 15, cached_input: 0.3, cache_write: 3.75}
            admin: {enabled: false, port: 0, token: secret-token}
            plugins:
              - name: access_log
                priority: 5
                timeout: 250ms
                settings: {path: access.jsonl}
            """)
        #expect(settings.listen.host == "0.0.0.0" && settings.listen.port == 9999)
        #expect(
            settings.store.path == "/var/lib/llmcache" && settings.store.maxBytes == 2 << 30
                && settings.store.mapSize == 64 << 30)
        #expect(settings.cache.mode == "replay" && settings.cache.ttl == .seconds(7 * 86_400))
        #expect(
            settings.cache.shareAcrossCredentials && settings.cache.maxRequestBytes == 1 << 20
                && settings.cache.maxJSONDepth == 64)
        #expect(settings.memory.l1Bytes == 64 << 20 && settings.memory.limit == 1 << 30)
        #expect(settings.upstream("openai")?.apiKey == "sk-test")
        #expect(settings.upstream("openai")?.provider == "openai")
        #expect(settings.upstream("anthropic")?.url == "https://api.anthropic.com")
        #expect(
            settings.upstream("local")
                == UpstreamSettings(
                    id: "local", url: "http://127.0.0.1:9001", provider: "anthropic", fallbacks: ["openai"]))
        #expect(
            settings.routes == [
                RouteSettings(prefix: "/local/v1/messages", upstream: "local"),
                RouteSettings(prefix: "/raw", upstream: "openai", cacheable: false),
                RouteSettings(
                    prefix: "/evals", upstream: "openai", samples: 8, staleIfError: .seconds(3600),
                    staleWhileRevalidate: .zero),
            ])
        #expect(
            settings.cache.staleIfError == .seconds(86_400) && settings.cache.staleWhileRevalidate == .seconds(600)
                && settings.cache.samples == 4)
        #expect(
            settings.upstreamClient.connectTimeout == .milliseconds(500)
                && settings.upstreamClient.maxConnectionsPerHost == 8)
        #expect(settings.manifest.directory == "manifests")
        #expect(
            settings.prices == [
                PriceSettings(model: "gpt-4o", input: 2.5, output: 10),
                PriceSettings(model: "claude", input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75),
            ])
        #expect(!settings.admin.enabled && settings.admin.token == "secret-token")
        #expect(settings.plugins.count == 1)
        #expect(
            settings.plugins[0].name == "access_log" && settings.plugins[0].priority == 5
                && settings.plugins[0].timeout == .milliseconds(250))
        #expect(settings.plugins[0].path == "plugins[0]")
    }

    @Test func unknownKeysNameThePathAndLine() throws {
        let found = try issues(
            """
            listen:
              host: 127.0.0.1
              prot: 8080
            cache:
              mode: readwrite
            caches: {}
            """)
        #expect(found.map(\.path) == ["listen.prot", "caches"])
        #expect(found.map(\.origin.line) == [3, 6])
        #expect(found[0].message.contains("host, port"))
    }

    @Test func answerPoliciesAreChecked() throws {
        let found = try issues(
            """
            cache: {samples: 65, stale_if_error: soon, stale_while_revalidate: -1s}
            routes:
              - {prefix: /x, upstream: openai, samples: 0, stale_if_error: later}
            prices:
              m: {input: 1, output: 2, cached_input: -1}
            """)
        #expect(
            Set(found.map(\.path)) == [
                "cache.samples", "cache.stale_if_error", "cache.stale_while_revalidate", "routes[0].samples",
                "routes[0].stale_if_error", "prices.m.cached_input",
            ])
    }

    @Test func wrongTypesAndRangesAreReportedTogether() throws {
        let found = try issues(
            """
            listen:
              port: 70000
            store:
              enabled: maybe
            cache:
              mode: sometimes
              ttl: soon
              max_request_bytes: lots
            memory:
              limit: 1MiB
            upstreams:
              openai: {url: ftp://x}
            routes: not-a-list
            admin: [1, 2]
            shared:
              postgres: {url: "mysql://x", table_prefix: "x; drop table y", pool_size: 0}
            """)
        let byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(
            Set(byPath.keys) == [
                "listen.port", "store.enabled", "cache.mode", "cache.ttl", "cache.max_request_bytes", "memory.limit",
                "upstreams.openai.url", "routes", "admin", "shared.postgres.url", "shared.postgres.table_prefix",
                "shared.postgres.pool_size",
            ])
        #expect(byPath["listen.port"]?.origin.line == 2)
        #expect(byPath["listen.port"]?.message.contains("0...65535") == true)
        #expect(byPath["cache.mode"]?.message.contains("readwrite, replay, record, passthrough") == true)
        #expect(byPath["memory.limit"]?.origin.line == 10)
        #expect(byPath["admin"]?.message.contains("expected a mapping") == true)
    }

    @Test func referencesMustExist() throws {
        let found = try issues(
            """
            upstreams:
              a: {url: http://a, fallbacks: [b, a]}
              b: {url: http://b, provider: grpc}
            routes:
              - {prefix: /x, upstream: nowhere}
              - {prefix: nope, upstream: a}
            """)
        #expect(
            found.map(\.path).sorted()
                == ["routes[0].upstream", "routes[1].prefix", "upstreams.a.fallbacks", "upstreams.b.provider"].sorted())
        #expect(found.contains { $0.message.contains("unknown upstream 'b'") } == false)  // b exists
        #expect(found.contains { $0.message.contains("itself") })
    }

    @Test func pluginProvidersAreKnownWhenRegistered() throws {
        let yaml = "upstreams:\n  echo: {url: http://unused, provider: echo}\n"
        #expect(throws: ConfigError.self) { try load(yaml) }
        let settings = try ConfigLoader(path: nil, environment: [:], providers: ["echo"]).load(text: yaml, source: "t")
        #expect(settings.upstream("echo")?.provider == "echo")
    }

    @Test func syntaxErrorsGiveTheLine() throws {
        let found = try issues("listen:\n  host: a\n  port: [1, 2\ncache: {}\n")
        #expect(found.count == 1)
        #expect(found[0].message.hasPrefix("not valid YAML"))
        #expect(found[0].origin.line != nil)
        let duplicate = try issues("listen:\n  port: 1\n  port: 2\n")
        #expect(duplicate.count == 1)
        #expect(duplicate[0].message.contains("duplicate key 'port'"))
        #expect(duplicate[0].origin.line != nil)
        #expect(try issues("just a string").count == 1)
        #expect(try issues("- a\n- b\n").count == 1)
    }

    @Test func pluginEntriesNeedNames() throws {
        let found = try issues("plugins:\n  - enabled: true\n  - name: x\n    priorty: 1\n")
        #expect(found.map(\.path) == ["plugins[0]", "plugins[1].priorty"])
    }

    @Test func precedenceIsFlagsThenEnvironmentThenFile() throws {
        let yaml = "listen: {port: 1000}\ncache: {mode: replay}\nmemory: {limit: 1GiB}\n"
        let file = try load(yaml)
        #expect(file.listen.port == 1000)
        let environment = ["LLMCACHE_LISTEN_PORT": "2000", "LLMCACHE_CACHE_MODE": "record"]
        let env = try load(yaml, environment: environment)
        #expect(env.listen.port == 2000 && env.cache.mode == "record" && env.memory.limit == 1 << 30)
        let flags = try load(
            yaml, environment: environment,
            overrides: [ConfigOverride(path: "listen.port", value: "3000", flag: "--port")])
        #expect(flags.listen.port == 3000 && flags.cache.mode == "record")
        // Defaults stay below everything.
        #expect(try load("").listen.port == 8080)
        // A bad value from the environment or a flag names where it came from.
        let bad = try #require(throws: ConfigError.self) {
            try load(yaml, overrides: [ConfigOverride(path: "listen.port", value: "x", flag: "--port")])
        }
        #expect(bad.issues.map(\.origin.source) == ["flag --port"])
        let badEnv = try #require(throws: ConfigError.self) {
            try load("", environment: ["LLMCACHE_MEMORY_LIMIT": "huge"])
        }
        #expect(
            badEnv.issues.map(\.description) == [
                "memory.limit (environment LLMCACHE_MEMORY_LIMIT): must be a size such as 268435456, 512MiB or 2GiB, got 'huge'"
            ])
    }

    @Test func unknownEnvironmentVariablesAreListed() {
        let loader = ConfigLoader(
            path: nil, environment: ["LLMCACHE_LISTEN_PORT": "1", "LLMCACHE_LISTEN_PROT": "1", "HOME": "/"])
        #expect(loader.unknownEnvironmentVariables == ["LLMCACHE_LISTEN_PROT"])
    }

    @Test func everyScalarKeyHasAnEnvironmentVariable() {
        let names = LLMCacheSettings.reference.compactMap(\.environmentVariable)
        #expect(names.contains("LLMCACHE_LISTEN_PORT"))
        #expect(names.contains("LLMCACHE_CACHE_SHARE_ACROSS_CREDENTIALS"))
        #expect(Set(names).count == names.count)
    }

    @Test func missingFileIsAClearError() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader(path: "/nonexistent/llmcache.yaml", environment: [:]).load()
        }
        #expect(error.description.contains("/nonexistent/llmcache.yaml"))
        #expect(error.description.contains("cannot open"))
    }
}
