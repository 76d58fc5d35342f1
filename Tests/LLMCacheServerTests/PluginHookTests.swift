import AsyncHTTPClient
import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins
import LLMCacheServer
import LLMCacheTestSupport
import LLMCacheUpstream
import NIOCore
import Synchronization
import Testing

/// A plugin for tests: records each hook call as "NAME.hook" and does what it is told.
struct RecordingPlugin: ProxyPlugin {
    enum Behaviour: Sendable { case pass, fail, hang, answer, bypass, veto }

    let name: String
    let log: Log
    var hooks: PluginHooks = [.beforeLookup, .keyRules, .beforeStore, .afterResponse, .upstreamError]
    var behaviour: Behaviour = .pass
    var isCritical = false

    final class Log: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
        func of(_ hook: String) -> [String] {
            all.filter { $0.hasSuffix(".\(hook)") }.map { String($0.prefix { $0 != "." }) }
        }
    }

    struct Failure: Error {}

    func act() async throws {
        switch behaviour {
        case .fail: throw Failure()
        case .hang:
            // Waits until cancelled (the plugin runner's timeout): a stream nothing is ever sent on.
            let (never, continuation) = AsyncStream.makeStream(of: Void.self)
            defer { continuation.finish() }
            for await _ in never {}
        default: break
        }
    }

    func beforeLookup(_ request: PluginRequest) async throws -> PluginDecision {
        log.add("\(name).beforeLookup")
        try await act()
        switch behaviour {
        case .answer:
            return .respond(PluginResponse(status: 200, body: ByteBuffer(string: #"{"answered_by":"\#(name)"}"#)))
        case .bypass: return .bypass(request)
        default: return .proceed(request)
        }
    }

    func rewriteKey(_ body: inout JSONValue, request: KeyRuleRequest) throws {
        log.add("\(name).keyRules")
        if behaviour == .fail { throw Failure() }
    }

    func beforeStore(_ candidate: StoreCandidate) async throws -> StoreDecision {
        log.add("\(name).beforeStore")
        try await act()
        return behaviour == .veto ? .veto : .store(candidate)
    }

    func afterResponse(_ event: ResponseEvent) async throws {
        log.add("\(name).afterResponse:\(event.cacheStatus)")
        try await act()
    }

    func onUpstreamError(_ event: UpstreamErrorEvent) async throws {
        log.add("\(name).upstreamError:\(event.kind)")
    }
}

func chain(_ plugins: [(RecordingPlugin, Int?)], timeout: Duration = .seconds(1)) throws -> PluginChain {
    var registry = PluginRegistry()
    var settings: [PluginSettings] = []
    for (index, (plugin, priority)) in plugins.enumerated() {
        let name = "p\(index)-\(plugin.name)"
        registry.register(PluginFactory(name: name) { _ in plugin })
        settings.append(PluginSettings(name: name, priority: priority, timeout: timeout, path: "plugins[\(index)]"))
    }
    return try registry.makeChain(settings)
}

@Suite struct PluginHookTests {
    @Test func hooksRunInPriorityOrderThenConfigurationOrder() async throws {
        let log = RecordingPlugin.Log()
        let plugins = try chain([
            (RecordingPlugin(name: "c", log: log), 30), (RecordingPlugin(name: "a", log: log), 10),
            (RecordingPlugin(name: "b1", log: log), 20), (RecordingPlugin(name: "b2", log: log), 20),
            (RecordingPlugin(name: "d", log: log), nil),  // default priority 100
        ])
        #expect(plugins.names == ["p1-a", "p2-b1", "p3-b2", "p0-c", "p4-d"])
        try await ProxyHarness.run(store: nil, plugins: plugins) { proxy in
            let reply = try await proxy.post("/v1/chat/completions", chat("order"))
            #expect(reply.status == 200)
            await proxy.server.fetchesFinished()
            #expect(log.of("beforeStore").count == 5)
            for hook in ["beforeLookup", "keyRules", "beforeStore"] {
                #expect(log.of(hook) == ["a", "b1", "b2", "c", "d"], "\(hook)")
            }
            #expect(
                log.all.filter { $0.contains("afterResponse:MISS") }.map { String($0.prefix { $0 != "." }) } == [
                    "a", "b1", "b2", "c", "d",
                ])
            // Before lookup comes before key rules, which come before storing.
            let first = { (hook: String) in log.all.firstIndex { $0.hasSuffix(hook) }! }
            #expect(first(".beforeLookup") < first(".keyRules"))
            #expect(first(".keyRules") < first(".beforeStore"))
        }
    }

    @Test func failingAndSlowHooksAreIsolated() async throws {
        let log = RecordingPlugin.Log()
        let plugins = try chain(
            [
                (RecordingPlugin(name: "thrower", log: log, behaviour: .fail), 1),
                (RecordingPlugin(name: "sleeper", log: log, behaviour: .hang), 2),
                (RecordingPlugin(name: "good", log: log), 3),
            ], timeout: .seconds(1))  // a loaded machine must not time out "good"
        try await ProxyHarness.run(store: nil, plugins: plugins) { proxy in
            let miss = try await proxy.post("/v1/chat/completions", chat("isolated"))
            #expect(miss.status == 200)
            #expect(miss.header("x-llmcache-status") == "MISS")
            // The good plugin ran every hook despite the others.
            #expect(log.of("beforeLookup") == ["thrower", "sleeper", "good"])
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 1)
            let hit = try await proxy.post("/v1/chat/completions", chat("isolated"))
            #expect(hit.header("x-llmcache-status") == "HIT")
            // The miss: thrower fails before lookup, key rules, before store and after response (4);
            // sleeper times out in its three async hooks (its key rule does not hang). The hit:
            // no store, so 3 + 2 more.
            #expect(proxy.server.metrics.snapshot.pluginFailures == 4 + 3 + 3 + 2)
        }
    }

    @Test func aCriticalPluginFailsTheRequest() async throws {
        let log = RecordingPlugin.Log()
        let plugins = try chain([(RecordingPlugin(name: "strict", log: log, behaviour: .fail, isCritical: true), nil)])
        try await ProxyHarness.run(store: nil, plugins: plugins) { proxy in
            let reply = try await proxy.post("/v1/chat/completions", chat("critical"))
            #expect(reply.status == 502)
            #expect(reply.text.contains("plugin_failed"))
            #expect(proxy.stats.requestCount == 0)
        }
    }

    @Test func beforeLookupCanAnswerOrBypass() async throws {
        let log = RecordingPlugin.Log()
        let answering = try chain([
            (RecordingPlugin(name: "answer", log: log, behaviour: .answer), nil),
            (RecordingPlugin(name: "later", log: log), nil),
        ])
        try await ProxyHarness.run(store: nil, plugins: answering) { proxy in
            let reply = try await proxy.post("/v1/chat/completions", chat("hello"))
            #expect(reply.status == 200)
            #expect(reply.text == #"{"answered_by":"answer"}"#)
            #expect(reply.header("x-llmcache-status") == "PLUGIN")
            #expect(proxy.stats.requestCount == 0)
            #expect(log.of("beforeLookup") == ["answer"])  // later hooks skipped
            #expect(proxy.server.metrics.snapshot.requests["PLUGIN"] == 1)
        }
        let bypassing = try chain([(RecordingPlugin(name: "bypass", log: log, behaviour: .bypass), nil)])
        try await ProxyHarness.run(store: nil, plugins: bypassing) { proxy in
            for _ in 0..<2 {
                let reply = try await proxy.post("/v1/chat/completions", chat("hello"))
                #expect(reply.header("x-llmcache-status") == "BYPASS")
            }
            #expect(proxy.stats.requestCount == 2)
            #expect(proxy.server.cache.memory.stats.entries == 0)
        }
    }

    @Test func beforeStoreCanVeto() async throws {
        let log = RecordingPlugin.Log()
        let plugins = try chain([(RecordingPlugin(name: "veto", log: log, behaviour: .veto), nil)])
        try await ProxyHarness.run(store: nil, plugins: plugins) { proxy in
            for _ in 0..<2 {
                let reply = try await proxy.post("/v1/chat/completions", chat("not stored"))
                #expect(reply.header("x-llmcache-status") == "MISS")
                await proxy.server.fetchesFinished()
                #expect(log.of("beforeStore").count >= 1)
            }
            #expect(proxy.stats.requestCount == 2)
        }
    }

    @Test func upstreamErrorsReachThePlugins() async throws {
        let log = RecordingPlugin.Log()
        let plugins = try chain([(RecordingPlugin(name: "watch", log: log), nil)])
        // A port that refuses; the bounds as in ProxyTests.anUnreachableUpstreamIs502.
        let down = RefusingPort()
        try await ProxyHarness.run(
            store: nil, upstreamPort: down.port,
            configure: {
                $0.upstream.connectTimeout = .seconds(2)
                $0.upstream.retry = RetryPolicy(maximumAttempts: 1, baseDelay: .milliseconds(10))
            },
            plugins: plugins
        ) { proxy in
            let reply = try await proxy.post("/v1/chat/completions", chat("down"))
            #expect(reply.status == 502)
            #expect(log.all.contains("watch.upstreamError:unreachable"))
        }
        withExtendedLifetime(down) {}
        try await ProxyHarness.run(store: nil, plugins: plugins) { proxy in
            let reply = try await proxy.post("/v1/chat/completions", chat("bad"), headers: [("x-mock-status", "500")])
            #expect(reply.status == 500)
            #expect(log.all.contains("watch.upstreamError:status"))
        }
    }

    @Test func aPluginProviderCarriesRequests() async throws {
        final class Canned: UpstreamProvider {
            let calls = Atomic<Int>(0)
            var wireFormat: Upstream.Provider { .openAI }
            func send(_ request: UpstreamRequest) async throws -> UpstreamClient.Response {
                calls.add(1, ordering: .relaxed)
                let body = #"{"id":"canned","path":"\#(request.pathAndQuery)","upstream":"\#(request.upstream.id)"}"#
                return UpstreamClient.Response(
                    status: 200, headers: [HeaderField(name: "content-type", value: "application/json")],
                    body: .bytes(ByteBuffer(string: body)))
            }
        }
        let canned = Canned()
        var registry = PluginRegistry()
        registry.register(provider: canned, named: "canned")
        let settings = try ConfigLoader(path: nil, environment: [:], providers: ["canned"]).load(
            text:
                "upstreams:\n  local: {url: http://unused.invalid, provider: canned}\nroutes: [{prefix: /local/v1/chat/completions, upstream: local}]\n",
            source: "t")
        let configuration = try ProxyConfiguration(settings: settings, registry: registry)
        let plugins = try registry.makeChain([])
        try await ProxyHarness.run(
            store: nil,
            configure: {
                $0.routes = $0.routes.adding(configuration.routes.routes.filter { $0.prefix.hasPrefix("/local") })
            },
            plugins: plugins
        ) { proxy in
            let miss = try await proxy.post("/local/v1/chat/completions", chat("canned"))
            #expect(miss.status == 200)
            #expect(miss.text == #"{"id":"canned","path":"/local/v1/chat/completions","upstream":"local"}"#)
            #expect(miss.header("x-llmcache-status") == "MISS")
            await proxy.server.fetchesFinished()
            #expect(proxy.server.cache.memory.stats.entries == 1)
            let hit = try await proxy.post("/local/v1/chat/completions", chat("canned"))
            #expect(hit.header("x-llmcache-status") == "HIT")
            #expect(canned.calls.load(ordering: .relaxed) == 1)
            #expect(proxy.stats.requestCount == 0)
        }
    }
}
