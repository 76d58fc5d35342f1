/// The whole configuration of `llmcache serve`, as the file describes it (after defaults,
/// environment and flags). Plain values only: the server turns them into its own types.
///
/// The configuration reference in docs/configuration.md lists every key with its type, default, whether
/// it reloads and whether it is a secret; ``LLMCacheSettings/reference`` is that list.
public struct LLMCacheSettings: Sendable, Equatable {
    public var listen = Listen()
    public var store = Store()
    public var cache = Cache()
    public var memory = Memory()
    public var shared = Shared()
    /// By id. `openai` and `anthropic` always exist (they serve the standard routes).
    public var upstreams: [UpstreamSettings] = LLMCacheSettings.standardUpstreams
    /// Extra routes, added to (and winning over) the standard table.
    public var routes: [RouteSettings] = []
    public var upstreamClient = UpstreamClient()
    public var manifest = Manifest()
    public var prices: [PriceSettings] = []
    public var admin = Admin()
    public var plugins: [PluginSettings] = []

    public init() {}

    public struct Listen: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Time for a new connection's request head (nginx `client_header_timeout`).
        public var headerTimeout: Duration = .seconds(60)
        /// Longest pause in a request body (nginx `client_body_timeout`).
        public var bodyTimeout: Duration = .seconds(60)
        /// Longest idle time between requests (nginx `keepalive_timeout`).
        public var keepAliveTimeout: Duration = .seconds(75)
        /// Longest time a client may take nothing of a response (nginx `send_timeout`).
        public var sendTimeout: Duration = .seconds(60)
        /// The largest request header section (each field and all together); larger: 431.
        public var maxHeaderBytes = 32 << 10
        /// The most request header fields; more: 431.
        public var maxHeaders = 100
        /// Connections served at once; beyond it a new one is answered 503 and closed.
        public var maxConnections = 4_096
        /// How long a graceful shutdown (SIGTERM) waits for requests in progress before it cancels
        /// them.
        public var shutdownTimeout: Duration = .seconds(30)
    }

    public struct Store: Sendable, Equatable {
        /// `false`: memory only.
        public var enabled = true
        public var path = ".llmcache"
        /// Bound on stored bytes; nil: unbounded.
        public var maxBytes: Int?
        /// Largest the LMDB map may grow to.
        public var mapSize = 1 << 40
        /// `portable` or `private`: the tenant secret a new store is created with.
        public var tenantScope = "portable"
        /// Read every record in a child process before serving (a damaged page crashes the child,
        /// not the server).
        public var checkOnStart = true
        /// `refuse` (exit with the reason) or `move_aside` (keep the damaged store beside, start fresh).
        public var onDamage = "refuse"
        /// Train a zstd dictionary from the store's own records while serving, and again when
        /// its compression drifts.
        public var trainDictionary = true
    }

    public struct Cache: Sendable, Equatable {
        public var mode = "readwrite"
        /// nil: entries never expire.
        public var ttl: Duration?
        /// How long past its TTL an entry may still answer when the upstream fails (RFC 5861
        /// `stale-if-error`); zero: never.
        public var staleIfError: Duration = .zero
        /// How long past its TTL an entry is answered at once while one background request
        /// refreshes it (RFC 5861 `stale-while-revalidate`); zero: never.
        public var staleWhileRevalidate: Duration = .zero
        /// Answers kept per key for requests that are not deterministic (1: off).
        public var samples = 1
        public var shareAcrossCredentials = false
        public var maxRequestBytes = 32 << 20
        public var maxStoredResponseBytes = 16 << 20
        public var maxJSONDepth = 128
    }

    /// The tier several instances share (`shared.postgres.*`); none without a URL.
    public struct Shared: Sendable, Equatable {
        public var postgres = Postgres()

        public struct Postgres: Sendable, Equatable {
            /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (or `?host=/socket/dir`); nil: no
            /// shared tier. Secret (its password).
            public var url: String?
            public var poolSize = 8
            public var tablePrefix = "llmcache_"
            public var lookupTimeout: Duration = .milliseconds(50)
            public var connectTimeout: Duration = .seconds(5)
            public var unlogged = false
            /// Bound on the entries table's record bytes; nil: unbounded.
            public var maxBytes: Int?
            public var writeQueueLimit = 10_000
            public var batchSize = 200
            /// How long other instances wait for one instance's fetch of the same request.
            public var leaseTimeout: Duration = .seconds(30)
        }
    }

    public struct Memory: Sendable, Equatable {
        /// L1's size; nil: 256 MiB, or half of `limit` when that is lower.
        public var l1Bytes: Int?
        /// The process budget kept by the memory governor; nil: no governor.
        public var limit: Int?

        /// L1's size in force.
        public var effectiveL1Bytes: Int {
            if let l1Bytes { return l1Bytes }
            return min(256 << 20, limit.map { $0 / 2 } ?? Int.max)
        }
    }

    public struct UpstreamClient: Sendable, Equatable {
        public var connectTimeout: Duration = .seconds(10)
        public var headTimeout: Duration = .seconds(120)
        public var streamIdleTimeout: Duration = .seconds(120)
        public var totalTimeout: Duration = .seconds(600)
        public var maxConnectionsPerHost = 64
    }

    public struct Manifest: Sendable, Equatable {
        public var file: String?
        public var directory: String?
    }

    public struct Admin: Sendable, Equatable {
        public var enabled = true
        public var host = "127.0.0.1"
        public var port = 8091
        /// Secret.
        public var token: String?
        /// Listen on a non-loopback address without a token (refused otherwise).
        public var allowOpen = false
    }

    public static let standardUpstreams = [
        UpstreamSettings(id: "openai", url: "https://api.openai.com", provider: "openai"),
        UpstreamSettings(id: "anthropic", url: "https://api.anthropic.com", provider: "anthropic"),
    ]

    public func upstream(_ id: String) -> UpstreamSettings? { upstreams.first { $0.id == id } }
}

/// One upstream: where misses go.
public struct UpstreamSettings: Sendable, Equatable {
    public var id: String
    public var url: String
    /// `openai`, `anthropic`, or a provider a plugin registers.
    public var provider: String
    /// Sent instead of the client's credential. Secret.
    public var apiKey: String?
    /// Ids of upstreams tried in order when this one keeps failing.
    public var fallbacks: [String]

    public init(id: String, url: String, provider: String, apiKey: String? = nil, fallbacks: [String] = []) {
        self.id = id
        self.url = url
        self.provider = provider
        self.apiKey = apiKey
        self.fallbacks = fallbacks
    }
}

/// An extra route: requests under `prefix` go to `upstream`.
public struct RouteSettings: Sendable, Equatable {
    public var prefix: String
    public var upstream: String
    public var cacheable: Bool
    /// Per-route answer policies; nil: `cache.*`'s.
    public var samples: Int?
    public var staleIfError: Duration?
    public var staleWhileRevalidate: Duration?

    public init(
        prefix: String, upstream: String, cacheable: Bool = true, samples: Int? = nil, staleIfError: Duration? = nil,
        staleWhileRevalidate: Duration? = nil
    ) {
        self.prefix = prefix
        self.upstream = upstream
        self.cacheable = cacheable
        self.samples = samples
        self.staleIfError = staleIfError
        self.staleWhileRevalidate = staleWhileRevalidate
    }
}

/// Dollars per million tokens of a model (a name also prices the models it is a prefix of).
public struct PriceSettings: Sendable, Equatable {
    public var model: String
    public var input: Double
    public var output: Double
    /// Input tokens read from the provider's prompt cache (nil: not priced).
    public var cachedInput: Double?
    /// Input tokens written to the provider's prompt cache (nil: not priced).
    public var cacheWrite: Double?

    public init(model: String, input: Double, output: Double, cachedInput: Double? = nil, cacheWrite: Double? = nil) {
        self.model = model
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
    }
}

/// A plugin enabled by name, with its own settings (read by the plugin) and how its hooks run.
public struct PluginSettings: Sendable, Equatable {
    public var name: String
    public var enabled: Bool
    /// Lower runs first; nil: the plugin's own default.
    public var priority: Int?
    /// A failing or slow hook fails the request instead of being skipped; nil: the plugin's default.
    public var critical: Bool?
    /// How long an async hook may take; nil: the plugin's default.
    public var timeout: Duration?
    /// The plugin's own keys, checked by the plugin (with paths and lines).
    public var settings: ConfigNode
    /// Key path of this entry, e.g. `plugins[2]`.
    public var path: String

    public init(
        name: String, enabled: Bool = true, priority: Int? = nil, critical: Bool? = nil, timeout: Duration? = nil,
        settings: ConfigNode = .emptyMapping(origin: ConfigOrigin(source: "defaults")), path: String = "plugins"
    ) {
        self.name = name
        self.enabled = enabled
        self.priority = priority
        self.critical = critical
        self.timeout = timeout
        self.settings = settings
        self.path = path
    }
}
