import LLMCacheCore
import LLMCacheShared
import LLMCacheUpstream

/// Everything `llmcache serve` runs with.
public struct ProxyConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The store directory of the disk tier; `nil`: memory only.
    public var storeDirectory: String?
    public var mode: CacheMode
    /// Share entries across credentials (no tenant scope in keys) — for replaying recordings
    /// under another or a dummy key.
    public var shareAcrossCredentials: Bool
    public var routes: RouteTable
    public var memory: MemoryTier.Configuration
    /// Request bodies above this are refused with 413.
    public var maximumRequestBytes: Int
    /// Responses above this are served but not stored.
    public var maximumStoredResponseBytes: Int
    /// Time to live of stored entries when a request does not set `x-llmcache-ttl`; `nil`: forever.
    public var defaultTTL: Duration?
    /// When entries past their TTL may still answer (`cache.stale_if_error`,
    /// `cache.stale_while_revalidate`).
    public var stale = StalePolicy()
    /// Answers kept per key for requests that are not deterministic (`cache.samples`; 1: off).
    public var samples = 1
    /// Nesting limit of request JSON.
    public var maximumJSONDepth: Int
    /// Upstream pool and timeouts.
    public var upstream: UpstreamClient.Configuration
    /// Where to write the run manifest (a line per cacheable request); `nil`: none.
    public var manifest: ManifestWriter.Destination?
    /// The process's memory budget in bytes, kept by the memory governor; `nil`: no governor.
    public var memoryLimit: Int?
    /// Under hard memory pressure, responses larger than this are relayed but not buffered for
    /// storage.
    public var maximumStoredResponseBytesUnderPressure: Int
    /// Prices per model, for the money-saved estimate of `/stats`.
    public var prices: PriceTable
    /// Bound on the disk tier's stored bytes; `nil`: unbounded.
    public var storeMaxBytes: Int?
    /// Largest the LMDB map may grow to.
    public var storeMapSize: Int
    /// The tenant secret a new store (or a memory-only proxy) gets.
    public var tenantScope: TenantScopeKind
    /// The disk tier trains its own compression dictionary while serving (``DictionaryTrainer``).
    public var trainsDictionary = true
    /// Timeouts, header limits and the connection limit of the proxy's (and admin API's) listener.
    public var listener = ListenerLimits()
    /// The tier several instances share (L3, PostgreSQL); nil: none. Opened by
    /// ``ProxyServer/connectSharedTier(_:proxy:logger:)`` before the server is made.
    public var shared: SharedTierConfiguration?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        storeDirectory: String? = ".llmcache",
        mode: CacheMode = .readwrite,
        shareAcrossCredentials: Bool = false,
        routes: RouteTable = .standard(
            openAI: Upstream(id: "openai", baseURL: "https://api.openai.com", provider: .openAI),
            anthropic: Upstream(id: "anthropic", baseURL: "https://api.anthropic.com", provider: .anthropic)),
        memory: MemoryTier.Configuration = MemoryTier.Configuration(),
        maximumRequestBytes: Int = 32 << 20,
        maximumStoredResponseBytes: Int = 16 << 20,
        defaultTTL: Duration? = nil,
        maximumJSONDepth: Int = JSONParser.defaultMaximumDepth,
        upstream: UpstreamClient.Configuration = UpstreamClient.Configuration(),
        manifest: ManifestWriter.Destination? = nil,
        memoryLimit: Int? = nil,
        maximumStoredResponseBytesUnderPressure: Int = 1 << 20,
        prices: PriceTable = PriceTable(),
        storeMaxBytes: Int? = nil,
        storeMapSize: Int = 1 << 40,
        tenantScope: TenantScopeKind = .portable
    ) {
        self.host = host
        self.port = port
        self.storeDirectory = storeDirectory
        self.mode = mode
        self.shareAcrossCredentials = shareAcrossCredentials
        self.routes = routes
        self.memory = memory
        self.maximumRequestBytes = maximumRequestBytes
        self.maximumStoredResponseBytes = maximumStoredResponseBytes
        self.defaultTTL = defaultTTL
        self.maximumJSONDepth = maximumJSONDepth
        self.upstream = upstream
        self.manifest = manifest
        self.memoryLimit = memoryLimit
        self.maximumStoredResponseBytesUnderPressure = maximumStoredResponseBytesUnderPressure
        self.prices = prices
        self.storeMaxBytes = storeMaxBytes
        self.storeMapSize = storeMapSize
        self.tenantScope = tenantScope
    }

    /// The governor's settings, when a memory limit is set.
    public var governor: MemoryGovernorConfiguration? {
        memoryLimit.map { MemoryGovernorConfiguration(budgetBytes: $0, memoryTierBytes: memory.maxBytes ?? 0) }
    }
}
