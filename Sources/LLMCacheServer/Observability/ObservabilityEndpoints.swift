import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheShared
import LLMCacheStore
import NIOCore
import NIOPosix

/// `GET /healthz`, `/readyz`, `/stats` and `/metrics`, served on the proxy's listener and on the
/// admin listener alike.
package struct ObservabilityEndpoints: Sendable {
    let cache: TieredCache
    /// L3's own report (errors, queue, leases) beside its hit counts; nil without one.
    let shared: SharedTier?
    let metrics: ProxyMetrics
    let publisher: TierMetricsPublisher
    let governor: MemoryGovernor?
    let readiness: Readiness
    /// Renders the metrics backend's text exposition (Prometheus); nil: `/metrics` is 404.
    let exposition: (@Sendable () -> [UInt8])?
    let clock: any WallClock
    /// The last hour in 10 s buckets (``StatsHistorySampler`` closes them), for the dashboard.
    package let history: StatsHistory
    /// Recent misses and misses per route and model.
    package let misses = MissLog()
    /// The disk tier, whose requests explain misses; nil without one.
    let store: DiskTier?
    let started = ContinuousClock.now

    package static let paths: Set<String> = ["/healthz", "/readyz", "/stats", "/metrics"]

    /// The answer for `path`, or nil when it is not one of these endpoints.
    package func response(method: HTTPRequest.Method, path: String) -> Response? {
        guard Self.paths.contains(path) else { return nil }
        guard method == .get || method == .head else {
            return ProxyError(
                status: .methodNotAllowed, type: "method_not_allowed", message: "\(path) answers GET only"
            )
            .response
        }
        switch path {
        case "/healthz":
            return json(#"{"status":"ok"}"#)
        case "/readyz":
            return readiness.isReady
                ? json(#"{"status":"ready"}"#)
                : json(#"{"status":"not ready"}"#, status: .serviceUnavailable)
        case "/stats":
            return json(String(decoding: CanonicalJSON.serialize(statsJSON()), as: UTF8.self))
        default:
            guard let exposition else {
                return ProxyError(status: .notFound, type: "not_found", message: "no metrics backend is configured")
                    .response
            }
            publishMetrics()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: exposition())))
        }
    }

    package func statsJSON() -> JSONValue { statsJSON(cache.stats, metrics.snapshot) }

    private func statsJSON(_ tiers: TieredCacheStats, _ proxy: ProxyMetrics.Counts) -> JSONValue {
        StatsReport.json(
            cache: tiers, shared: shared?.report, proxy: proxy, governor: governor?.stats,
            uptimeSeconds: Double((ContinuousClock.now - started).components.seconds), misses: misses.top(10))
    }

    /// `/stats` and what the dashboard draws besides: the last hour in buckets and the recent
    /// misses, each explained (off the event loop; at most once per miss). One snapshot of the
    /// tiers and counters serves both.
    package func dashboardJSON() async -> JSONValue {
        let store = self.store
        await misses.explainPending { recipe, model, excluded, before in
            guard let store else { return "no disk tier to compare it with" }
            let explanation = try? await NIOThreadPool.singleton.runIfActive {
                store.explainMiss(recipe, model: model, excluding: excluded, storedBefore: before)
            }
            return explanation?.summary ?? "not explained (the proxy is stopping)"
        }
        let (tiers, proxy) = (cache.stats, metrics.snapshot)
        let stats = statsJSON(tiers, proxy)
        guard case .object(var members) = stats else { return stats }
        members.append(
            JSONMember(
                key: "history",
                value: StatsReport.history(
                    history.buckets(current: historyPoint(tiers, proxy)), interval: history.interval)))
        members.append(JSONMember(key: "recent_misses", value: StatsReport.recentMisses(misses.recent)))
        return .object(members)
    }

    /// The counters the history keeps, now.
    package func historyPoint() -> StatsHistory.Point { historyPoint(cache.stats, metrics.snapshot) }

    private func historyPoint(_ stats: TieredCacheStats, _ proxy: ProxyMetrics.Counts) -> StatsHistory.Point {
        var hits = ["memory": stats.memory.hits]
        var missed = ["memory": stats.memory.misses]
        if let disk = stats.disk {
            hits["disk"] = disk.hits
            missed["disk"] = disk.misses
        }
        for (name, counts) in stats.others {
            hits[name] = counts.hits
            missed[name] = counts.misses
        }
        return StatsHistory.Point(
            time: clock.now(), requests: proxy.requestsByStatus, hits: hits, misses: missed,
            upstreamRequests: proxy.upstreamRequests, savedTokens: proxy.savedInputTokens + proxy.savedOutputTokens,
            savedDollars: proxy.savedDollars)
    }

    /// Brings the tier gauges and counters up to date in the metrics backend.
    package func publishMetrics() {
        publisher.publish(cache.stats, shared: shared?.report, governor: governor?.stats)
    }

    package func resetStats() {
        cache.resetStats()
        metrics.reset()
        misses.reset()
    }

    private func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
