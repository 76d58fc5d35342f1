import LLMCacheApp
import LLMCacheConfig
import LLMCacheCore
import LLMCacheServer
import LLMCacheTestSupport
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Reloading a configuration file into a running proxy, while traffic flows.
@Suite struct ConfigReloadTests {
    static func write(_ text: String, to path: String) {
        let file = fopen(path + ".tmp", "w")!
        fputs(text, file)
        fclose(file)
        rename(path + ".tmp", path)  // as editors do: a new inode
    }

    /// A file whose upstreams point at the harness's mock.
    static func yaml(_ proxy: ProxyHarness, _ extra: String, l1: String = "8MiB") -> String {
        yaml(mockPort: proxy.mockPort, extra, l1: l1)
    }

    static func yaml(mockPort: Int, _ extra: String, l1: String = "8MiB") -> String {
        """
        listen: {port: 0}
        upstreams:
          openai: {url: "http://127.0.0.1:\(mockPort)"}
          anthropic: {url: "http://127.0.0.1:\(mockPort)"}
        memory: {l1_bytes: \(l1)}
        \(extra)
        """
    }

    /// Reloading of the file at `path` (written first, pointing at the mock) through the
    /// proxy's own composition (`ProxyAssembly`); the file is watched only when asked, so that
    /// tests reloading by hand count only their own reloads.
    static func reloading(
        path: String, watchesFile: Bool = false, onReload: (@Sendable (Bool) -> Void)? = nil
    ) -> (Int) throws -> ProxyAssembly.Reloading {
        { mockPort in
            write(yaml(mockPort: mockPort, ""), to: path)
            let loader = ConfigLoader(path: path, environment: [:])
            return ProxyAssembly.Reloading(
                loader: loader, registry: .builtIn, settings: try loader.load(), watchSignals: false,
                watchesFile: watchesFile, interval: .milliseconds(20), onReload: onReload)
        }
    }

    @Test func goodAndBadReloadsWhileTrafficFlows() async throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/llmcache.yaml"
        try await ProxyHarness.run(store: scratch.path + "/store", reloading: Self.reloading(path: path)) { proxy in
            let reloader = try #require(proxy.reloader)
            // Warm the cache: 20 entries.
            for index in 0..<20 { _ = try await proxy.post("/v1/chat/completions", chat("warm \(index)")) }
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 20)

            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var statuses: [Int] = []
                        for round in 0..<40 {
                            // Cached prompts, and new ones (misses) now and then.
                            let prompt = round % 5 == 4 ? "new \(worker)-\(round)" : "warm \((worker * 7 + round) % 20)"
                            statuses.append(try await proxy.post("/v1/chat/completions", chat(prompt)).status)
                        }
                        return statuses
                    }
                }
                group.addTask {
                    let files = [
                        Self.yaml(
                            proxy,
                            "cache: {ttl: 1h}\nplugins:\n  - name: access_log\n    settings: {path: \(scratch.path)/a.jsonl}\n"
                        ),
                        "listen: {port: [broken\n",  // not YAML
                        Self.yaml(proxy, "cache: {mode: sometimes}\n"),  // invalid value
                        // A plugin that cannot start:
                        Self.yaml(
                            proxy, "plugins:\n  - name: access_log\n    settings: {path: /nonexistent/a.jsonl}\n"),
                        Self.yaml(
                            proxy, "plugins:\n  - name: key_rules\n    settings: {ignore_fields: [temperature]}\n",
                            l1: "16MiB"),
                    ]
                    var results: [Bool] = []
                    for text in files {
                        Self.write(text, to: path)
                        results.append(await reloader.reload(reason: "test"))
                        // Traffic under each configuration before the next one (the workers run too).
                        _ = try await proxy.post("/v1/chat/completions", chat("between reloads"))
                    }
                    #expect(results == [true, false, false, false, true])
                    return []
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 160)
            #expect(statuses.allSatisfy { $0 == 200 })
            let counts = proxy.server.metrics.snapshot
            #expect(counts.configReloads == 2)
            #expect(counts.configRejections == 3)
            // Both tiers kept their contents: every warm prompt still hits.
            for index in 0..<20 {
                let reply = try await proxy.post("/v1/chat/completions", chat("warm \(index)"))
                #expect(reply.header("x-llmcache-status") == "HIT")
            }
            // The last good file is in force: L1 resized in place, key rules active.
            #expect(proxy.server.cache.memory.configuredMaxBytes == 16 << 20)
            #expect(proxy.server.pluginNames == ["key_rules"])
            // temperature is now left out of the key: the entry stored before the reload answers.
            let ignored = try await proxy.post("/v1/chat/completions", chat("warm 3", extra: #","temperature":0.2"#))
            #expect(ignored.header("x-llmcache-status") == "HIT")
            #expect(reloader.current.memory.l1Bytes == 16 << 20)
        }
    }

    @Test func modesRoutesAndTTLChangeWithoutRestart() async throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/llmcache.yaml"
        try await ProxyHarness.run(store: nil, reloading: Self.reloading(path: path)) { proxy in
            let reloader = try #require(proxy.reloader)
            let before = try await proxy.post("/v1/chat/completions", chat("uncached"))
            #expect(before.status == 200)
            Self.write(
                Self.yaml(
                    proxy, "cache: {mode: replay}\nroutes: [{prefix: /team/v1/chat/completions, upstream: openai}]\n"),
                to: path)
            #expect(await reloader.reload(reason: "test"))
            let replayMiss = try await proxy.post("/v1/chat/completions", chat("never seen"))
            #expect(replayMiss.status == 504)
            #expect(
                proxy.server.currentConfiguration.routes.route(for: "/team/v1/chat/completions")?.upstream.id
                    == "openai")
            Self.write(Self.yaml(proxy, "cache: {ttl: 90s}\n"), to: path)
            #expect(await reloader.reload(reason: "test"))
            #expect(proxy.server.currentConfiguration.defaultTTL == .seconds(90))
            #expect(proxy.server.currentConfiguration.mode == .readwrite)
            let fresh = try await proxy.post("/v1/chat/completions", chat("after ttl"))
            #expect(fresh.status == 200)
            // Prices: a hit before the reload is unpriced, one after it is priced.
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries >= 2)
            _ = try await proxy.post("/v1/chat/completions", chat("after ttl"))
            #expect(proxy.server.metrics.snapshot.unpricedHits == 1)
            Self.write(Self.yaml(proxy, "prices: {gpt-4o-mini: {input: 1000, output: 1000}}\n"), to: path)
            #expect(await reloader.reload(reason: "test"))
            _ = try await proxy.post("/v1/chat/completions", chat("after ttl"))
            #expect(proxy.server.metrics.snapshot.unpricedHits == 1)
            #expect(proxy.server.metrics.snapshot.savedDollars > 0)
        }
    }

    @Test func theWatcherReloadsWhenTheFileChanges() async throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/llmcache.yaml"
        // Each reload's result, as the proxy's own watcher gets it: the test waits for these, never polls.
        let (results, resultContinuation) = AsyncStream.makeStream(of: Bool.self)
        let reloading = Self.reloading(path: path, watchesFile: true) { resultContinuation.yield($0) }
        try await ProxyHarness.run(store: nil, reloading: reloading) { proxy in
            var outcomes = results.makeAsyncIterator()
            // Written at once: the watcher compares with the file as it was when it was made.
            Self.write(Self.yaml(proxy, "cache: {mode: passthrough}\n"), to: path)
            #expect(await outcomes.next() == true)
            #expect(proxy.server.currentConfiguration.mode == .passthrough)
            Self.write("cache: {mode: [\n", to: path)
            #expect(await outcomes.next() == false)
            #expect(proxy.server.metrics.snapshot.configRejections == 1)
            #expect(proxy.server.currentConfiguration.mode == .passthrough)
            #expect(proxy.server.metrics.snapshot.configReloads == 1)
        }
    }
}
