import LLMCacheCore
import LLMCacheShared
import LLMCacheTestSupport
import Prometheus
import Testing

@testable import LLMCacheServer

#if canImport(Glibc)
    import Glibc
#endif

/// `integrations/grafana/llmcache-dashboard.json` queries only metrics llmcache exports.
@Suite struct GrafanaDashboardTests {
    let scratch = ScratchDirectory()

    /// Every `llmcache_*` name in a panel's query appears in `/metrics` after traffic of every
    /// kind (hits, misses, an upstream error, a disk tier, a memory budget) — the shared tier's,
    /// which need a database, from a report published through the same publisher.
    @Test func everyMetricTheDashboardQueriesIsExported() async throws {
        let dashboard = try JSONParser.parse(
            Array(try #require(readTextFile("integrations/grafana/llmcache-dashboard.json")).utf8))
        guard case .array(let panels)? = dashboard["panels"] else {
            Issue.record("no panels")
            return
        }
        var queried: Set<String> = []
        for panel in panels {
            guard case .array(let targets)? = panel["targets"], !targets.isEmpty else {
                Issue.record("a panel without queries: \(panel["title"]?.stringValue ?? "?")")
                continue
            }
            for target in targets {
                queried.formUnion(Self.metricNames(in: try #require(target["expr"]?.stringValue)))
            }
        }
        #expect(queried.count >= 20, "\(queried.sorted())")

        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let exposition: @Sendable () -> [UInt8] = { registry.emitToBuffer() }
        try await ProxyHarness.run(
            store: scratch.path + "/grafana", configure: { $0.memoryLimit = 1 << 30 }, metricsFactory: factory,
            metricsExposition: exposition
        ) { harness in
            #expect(
                try await harness.post("/v1/chat/completions", chat("grafana")).header("x-llmcache-status") == "MISS")
            #expect(
                try await harness.post("/v1/chat/completions", chat("grafana")).header("x-llmcache-status") == "HIT")
            let failed = try await harness.post(
                "/v1/chat/completions", chat("grafana fails"), headers: [("x-mock-status", "503")])
            #expect(failed.status == 503)
            TierMetricsPublisher(factory: factory).publish(
                harness.server.cache.stats, shared: SharedTierStats.Report(), governor: nil)
            let scraped = try await harness.get("/metrics").text
            let exported = Self.exportedNames(scraped)
            for name in queried.sorted() {
                #expect(exported.contains(name), "the dashboard queries \(name), which /metrics does not export")
            }
        }
    }

    /// The `llmcache_…` names in a PromQL expression.
    static func metricNames(in expression: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(expression)
        while let start = rest.range(of: "llmcache_") {
            let name = rest[start.lowerBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            names.insert(String(name))
            rest = rest[name.endIndex...]
        }
        return names
    }

    /// The sample names of a text exposition (histograms' `_bucket`, `_count` and `_sum`
    /// included).
    static func exportedNames(_ text: String) -> Set<String> {
        Set(
            text.split(separator: "\n").compactMap { line in
                guard !line.hasPrefix("#"), let name = line.split(whereSeparator: { $0 == "{" || $0 == " " }).first
                else { return nil }
                return String(name)
            })
    }
}
