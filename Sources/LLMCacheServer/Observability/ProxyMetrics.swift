import CoreMetrics
import LLMCacheCore
import Synchronization

/// The proxy's own counters (the tiers keep theirs): requests by cache status, coalesced
/// requests, upstream calls and errors, tokens and money saved by answers served from cache.
///
/// Kept twice: as plain counters for `/stats` (zeroed by the admin API's reset) and as
/// swift-metrics handles (monotonic, for Prometheus) made by the injected factory — the
/// executable bootstraps Prometheus; tests pass an in-memory factory.
public final class ProxyMetrics: Sendable {
    /// The statuses requests are counted by, in counter order.
    public static let cacheStatuses = CacheStatus.allCases.map(\.rawValue)

    let factory: any MetricsFactory
    private let requestTimers: [CoreMetrics.Timer]
    private let upstreamTimer: CoreMetrics.Timer
    private let coalescedCounter: Counter
    private let savedInputTokens: Counter
    private let savedOutputTokens: Counter
    private let savedDollars: FloatingPointCounter
    /// The provider's own prompt cache on calls that went upstream (``upstreamAnswered(promptCache:model:prices:)``).
    let promptCacheReadTokens: Counter
    let promptCacheWriteTokens: Counter
    let promptCacheDiscount: FloatingPointCounter
    let promptCachePremium: FloatingPointCounter
    let counts = Mutex(Counts())
    /// Per-upstream handles, made on first use.
    private let upstreamHandles = Mutex([String: (requests: Counter, errors: [String: Counter])]())
    private let pluginFailureHandles = Mutex([String: Counter]())
    /// Per-model handles (answers from cache, dollars saved), made on first use; the model names
    /// are those `savedByModel` keeps (bounded).
    private let modelHandles = Mutex([String: (answers: Counter, dollars: FloatingPointCounter)]())
    private let configReloads: Counter
    private let configRejections: Counter
    private let refusalHandles: [AnswerValidation.Refusal: Counter]

    /// What `/stats` reports of the proxy's own counting.
    public struct Counts: Sendable, Equatable {
        /// Requests by cache status, in the order of ``ProxyMetrics/cacheStatuses``.
        var requestsByStatus = Array(repeating: 0, count: ProxyMetrics.cacheStatuses.count)
        public var requests: [String: Int] {
            Dictionary(uniqueKeysWithValues: zip(ProxyMetrics.cacheStatuses, requestsByStatus))
        }
        public var coalesced = 0
        /// Hits answered by the lean path on the event loop (``LeanHitHandler``), counted in
        /// `requests` too.
        public var fastHits = 0
        public var upstreamRequests = 0
        public var upstreamErrors = 0
        public var savedInputTokens = 0
        public var savedOutputTokens = 0
        public var savedDollars = 0.0
        /// Cache answers whose model has no price in the table (their tokens are counted, not priced).
        public var unpricedHits = 0
        /// What answers from cache saved, per model (at most ``ProxyMetrics/maximumModels``
        /// models; the rest are counted under `(other)`).
        public var savedByModel: [String: ModelSavings] = [:]
        /// What the provider's own prompt cache did on the calls that went upstream — apart from
        /// `saved*`, which is the proxy's cache alone.
        public var promptCache = PromptCacheSavings()
        /// The same per model (bounded like `savedByModel`).
        public var promptCacheByModel: [String: PromptCacheSavings] = [:]
        /// Sampled requests (`cache.samples`).
        public var samples = SampleCounts()
        /// Plugin hooks that failed, timed out or ran slow (isolated unless critical).
        public var pluginFailures = 0
        /// Configuration reloads applied and rejected.
        public var configReloads = 0
        public var configRejections = 0
        /// The last reload and its result (nil: none since the start; a stats reset keeps it).
        public var lastReload: ReloadResult?
        /// Answers fetched but not stored because they were not whole answers, by reason
        /// (``AnswerValidation/Refusal``).
        public var storeRefusals: [String: Int] = [:]
    }

    /// Answers served from cache for one model, and what they saved.
    public struct ModelSavings: Sendable, Equatable {
        public var hits = 0
        public var inputTokens = 0
        public var outputTokens = 0
        public var dollars = 0.0
        /// Hits whose model has no price in the table.
        public var unpriced = 0
    }

    /// A configuration reload: when, and whether it was applied (else why it was rejected).
    public struct ReloadResult: Sendable, Equatable {
        public var time: Timestamp
        public var applied: Bool
        public var error: String?
    }

    /// Distinct models `savedByModel` keeps apart (model names come from requests: bounded).
    public static let maximumModels = 100
    static let otherModels = "(other)"

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        configReloads = Counter(
            label: "llmcache_config_reloads_total", dimensions: [("result", "applied")], factory: factory)
        configRejections = Counter(
            label: "llmcache_config_reloads_total", dimensions: [("result", "rejected")], factory: factory)
        requestTimers = Self.cacheStatuses.map {
            CoreMetrics.Timer(
                label: "llmcache_request_duration_seconds", dimensions: [("cache_status", $0)], factory: factory)
        }
        upstreamTimer = CoreMetrics.Timer(label: "llmcache_upstream_duration_seconds", factory: factory)
        coalescedCounter = Counter(label: "llmcache_coalesced_requests_total", factory: factory)
        savedInputTokens = Counter(
            label: "llmcache_tokens_saved_total", dimensions: [("kind", "input")], factory: factory)
        savedOutputTokens = Counter(
            label: "llmcache_tokens_saved_total", dimensions: [("kind", "output")], factory: factory)
        savedDollars = FloatingPointCounter(label: "llmcache_dollars_saved_total", factory: factory)
        promptCacheReadTokens = Counter(
            label: "llmcache_provider_cache_tokens_total", dimensions: [("kind", "read")], factory: factory)
        promptCacheWriteTokens = Counter(
            label: "llmcache_provider_cache_tokens_total", dimensions: [("kind", "write")], factory: factory)
        promptCacheDiscount = FloatingPointCounter(
            label: "llmcache_provider_cache_dollars_total", dimensions: [("kind", "discount")], factory: factory)
        promptCachePremium = FloatingPointCounter(
            label: "llmcache_provider_cache_dollars_total", dimensions: [("kind", "premium")], factory: factory)
        refusalHandles = Dictionary(
            uniqueKeysWithValues: AnswerValidation.Refusal.allCases.map {
                (
                    $0,
                    Counter(
                        label: "llmcache_store_refusals_total", dimensions: [("reason", $0.rawValue)], factory: factory)
                )
            })
    }

    /// A fetched 2xx answer was not stored: `reason`.
    func storeRefused(_ reason: AnswerValidation.Refusal) {
        counts.withLock { $0.storeRefusals[reason.rawValue, default: 0] += 1 }
        refusalHandles[reason]?.increment()
    }

    public var snapshot: Counts { counts.withLock { $0 } }

    public func reset() {
        counts.withLock {
            let last = $0.lastReload
            $0 = Counts()
            $0.lastReload = last
        }
    }

    /// A request answered with `status` (a cache status or ERROR) after `nanoseconds` — until the
    /// response head was ready (a stream's first byte, a whole body's last).
    /// `fast`: answered by the lean path.
    func requestFinished(status: CacheStatus, nanoseconds: Int64, fast: Bool = false) {
        let index = status.index
        let coalesced = status == .coalesced
        counts.withLock {
            $0.requestsByStatus[index] += 1
            if coalesced { $0.coalesced += 1 }
            if fast { $0.fastHits += 1 }
        }
        requestTimers[index].recordNanoseconds(nanoseconds)
        if coalesced { coalescedCounter.increment() }
    }

    /// A plugin hook failed (`kind`: error, timeout, slow).
    func pluginFailure(plugin: String, hook: String, kind: String) {
        counts.withLock { $0.pluginFailures += 1 }
        let label = "\(plugin)|\(hook)|\(kind)"
        pluginFailureHandles.withLock { handles in
            if handles[label] == nil {
                handles[label] = Counter(
                    label: "llmcache_plugin_failures_total",
                    dimensions: [("plugin", plugin), ("hook", hook), ("kind", kind)],
                    factory: factory)
            }
            handles[label]!.increment()
        }
    }

    /// A configuration reload was applied, or rejected with `error`.
    package func configReload(applied: Bool, error: String? = nil, at time: Timestamp = SystemClock().now()) {
        counts.withLock {
            if applied { $0.configReloads += 1 } else { $0.configRejections += 1 }
            $0.lastReload = ReloadResult(time: time, applied: applied, error: error)
        }
        (applied ? configReloads : configRejections).increment()
    }

    /// An answer served from cache: its tokens (and their price in `prices` — the request's
    /// configuration's — if the model has one) were saved.
    func servedFromCache(usage: TokenUsage, model: String, prices: PriceTable) {
        let cost = prices.price(for: model)?.cost(of: usage)
        let name = counts.withLock {
            $0.savedInputTokens += usage.inputTokens
            $0.savedOutputTokens += usage.outputTokens
            if let cost { $0.savedDollars += cost } else { $0.unpricedHits += 1 }
            let name =
                $0.savedByModel[model] != nil || $0.savedByModel.count < Self.maximumModels ? model : Self.otherModels
            $0.savedByModel[name, default: ModelSavings()].record(usage, cost: cost)
            return name
        }
        savedInputTokens.increment(by: usage.inputTokens)
        savedOutputTokens.increment(by: usage.outputTokens)
        if let cost { savedDollars.increment(by: cost) }
        let handles = modelHandles.withLock { handles in
            if let made = handles[name] { return made }
            let made = (
                answers: Counter(
                    label: "llmcache_cache_answers_total", dimensions: [("model", name)], factory: factory),
                dollars: FloatingPointCounter(
                    label: "llmcache_dollars_saved_by_model_total", dimensions: [("model", name)], factory: factory)
            )
            handles[name] = made
            return made
        }
        handles.answers.increment()
        if let cost { handles.dollars.increment(by: cost) }
    }

    /// An upstream call to `upstream` answered (its head arrived) after `nanoseconds`, or failed
    /// (`error`: timeout, unreachable, or status_5xx for an answer that is a server error).
    func upstreamCall(_ upstream: String, nanoseconds: Int64?, error: String?) {
        counts.withLock {
            $0.upstreamRequests += 1
            if error != nil { $0.upstreamErrors += 1 }
        }
        if let nanoseconds { upstreamTimer.recordNanoseconds(nanoseconds) }
        upstreamHandles.withLock { handles in
            if handles[upstream] == nil {
                handles[upstream] = (
                    Counter(
                        label: "llmcache_upstream_requests_total", dimensions: [("upstream", upstream)],
                        factory: factory),
                    [:]
                )
            }
            handles[upstream]!.requests.increment()
            if let error {
                if handles[upstream]!.errors[error] == nil {
                    handles[upstream]!.errors[error] = Counter(
                        label: "llmcache_upstream_errors_total", dimensions: [("upstream", upstream), ("kind", error)],
                        factory: factory)
                }
                handles[upstream]!.errors[error]!.increment()
            }
        }
    }
}

extension ProxyMetrics.ModelSavings {
    mutating func record(_ usage: TokenUsage, cost: Double?) {
        hits += 1
        inputTokens += usage.inputTokens
        outputTokens += usage.outputTokens
        if let cost { dollars += cost } else { unpriced += 1 }
    }
}
