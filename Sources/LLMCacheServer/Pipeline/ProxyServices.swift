import LLMCacheCore
import LLMCacheShared
import LLMCacheStore
import LLMCacheUpstream

/// What every request shares and no reload replaces: the tiers, the upstream client, the
/// coalescer and fetch runner, and the observers. Built once by ``ProxyServer``.
struct ProxyServices: Sendable {
    let cache: TieredCache
    /// The disk tier as a store (miss explanations compare with its records); nil without one.
    let store: DiskTier?
    /// L3, whose leases coalesce fetches across instances; nil without one.
    let shared: SharedTier?
    let client: UpstreamClient
    let clock: any WallClock
    let flights: SingleFlight
    let runner: FetchRunner
    let tenantScopes: TenantScopeCache
    let manifest: ManifestWriter?
    let metrics: ProxyMetrics
    let endpoints: ObservabilityEndpoints
    let governor: MemoryGovernor?
    let hooks: PluginRunner
    /// The lean path's answer heads, made once per stored answer.
    let answerHeads = AnswerHeadCache()
    /// Each sampled key's rotation (``SampleRotation``).
    let samples = SampleRotation()
}
