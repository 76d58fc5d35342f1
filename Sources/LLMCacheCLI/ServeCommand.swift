import ArgumentParser
import Hummingbird
import LLMCacheAdmin
import LLMCacheCore
import LLMCacheServer
import LLMCacheUpstream
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the caching proxy.",
        discussion: """
            Point an OpenAI or Anthropic SDK's base URL at http://HOST:PORT/v1. Entries live in memory \
            and in the store directory (LMDB); SIGTERM or SIGINT stop accepting, finish in-flight \
            requests, commit queued writes and exit 0.
            """
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port: Int = 8080

    @Option(help: "Store directory of the disk tier.")
    var store: String = ".llmcache"

    @Flag(help: "Keep entries in memory only (no disk tier).")
    var memoryOnly = false

    @Option(help: "OpenAI-compatible upstream for all routes but Anthropic's.")
    var upstream: String = "https://api.openai.com"

    @Option(help: "Fallback for the OpenAI-compatible upstream when it stays unreachable or failing (repeatable).")
    var fallbackUpstream: [String] = []

    @Option(help: "Anthropic upstream (/v1/messages).")
    var anthropicUpstream: String = "https://api.anthropic.com"

    @Option(help: "Environment variable holding the key to send to the OpenAI-compatible upstream instead of the client's.")
    var openaiKeyEnv: String?

    @Option(help: "Environment variable holding the key to send to the Anthropic upstream instead of the client's.")
    var anthropicKeyEnv: String?

    @Option(help: ArgumentHelp(
        "Extra cacheable route PREFIX=URL[,anthropic] (repeatable), e.g. /openai/deployments=https://x.openai.azure.com.",
        valueName: "route"))
    var route: [String] = []

    @Option(help: "Cache mode: readwrite, replay, record or passthrough.")
    var mode: String = "readwrite"

    @Flag(help: "Share entries across credentials (needed to replay recordings under another key).")
    var shareAcrossCredentials = false

    @Option(help: ArgumentHelp(
        "Memory tier (L1) size, e.g. 256MiB (default 256MiB, or half of --memory-limit when that is lower).",
        valueName: "size"))
    var memoryBytes: String?

    @Option(help: ArgumentHelp(
        "Process memory budget, e.g. 1GiB: the memory governor shrinks L1 and stops promotions above 85 %, admits to disk only above 95 % (figure: anonymous RSS).",
        valueName: "size"))
    var memoryLimit: String?

    @Option(help: ArgumentHelp(
        "Price of a model for the money-saved estimate, MODEL=INPUT,OUTPUT in dollars per million tokens (repeatable; a name also prices models it is a prefix of).",
        valueName: "price"))
    var price: [String] = []

    @Option(help: "Address of the admin API (purge, stats reset, export, /stats, /metrics).")
    var adminHost: String = "127.0.0.1"

    @Option(help: "Port of the admin API (0: any free port).")
    var adminPort: Int = 8091

    @Flag(help: "Run without the admin API.")
    var noAdmin = false

    @Option(help: "Environment variable holding a bearer token that the admin API requires.")
    var adminTokenEnv: String?

    @Option(help: "Time to live of stored entries in seconds (0: forever).")
    var ttl: Int = 0

    @Option(help: "Append a run manifest (a JSON line per cacheable request: key, route, model, status, tier) to this file.")
    var manifest: String?

    @Option(help: "Write run manifests per namespace into this directory (NAMESPACE.jsonl, default.jsonl).")
    var manifestDir: String?

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard CacheMode(rawValue: mode) != nil else {
            throw ValidationError("--mode must be one of \(CacheMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let memoryBytes {
            guard let bytes = ByteCount.parse(memoryBytes) else { throw ValidationError("--memory-bytes: \(memoryBytes) is not a size (e.g. 268435456, 256MiB)") }
            guard bytes >= 1 << 20 else { throw ValidationError("--memory-bytes must be at least 1MiB") }
        }
        if let memoryLimit {
            guard let bytes = ByteCount.parse(memoryLimit) else { throw ValidationError("--memory-limit: \(memoryLimit) is not a size (e.g. 1GiB)") }
            guard bytes >= 16 << 20 else { throw ValidationError("--memory-limit must be at least 16MiB") }
        }
        for text in price {
            do { _ = try PriceTable.parseEntry(text) } catch { throw ValidationError(error.description) }
        }
        guard (0...65_535).contains(adminPort) else { throw ValidationError("--admin-port must be in 0...65535") }
        guard ttl >= 0 else { throw ValidationError("--ttl must not be negative") }
        guard manifest == nil || manifestDir == nil else { throw ValidationError("--manifest and --manifest-dir exclude each other") }
        for text in route {
            do { _ = try RouteTable.parseRoute(text) } catch { throw ValidationError(error.description) }
        }
        for url in [upstream, anthropicUpstream] + fallbackUpstream where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("upstream URL must start with http:// or https://, got \(url)")
        }
    }

    /// The value of the environment variable `name`; a missing or empty one is an error.
    static func credential(fromEnvironment name: String?) throws -> String? {
        guard let name else { return nil }
        guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else {
            throw ValidationError("environment variable \(name) is not set")
        }
        return value
    }

    func run() async throws {
        let logger = {
            var logger = Logger(label: "llmcache")
            logger.logLevel = .info
            return logger
        }()
        let configuration = ProxyConfiguration(
            host: host, port: port, storeDirectory: memoryOnly ? nil : store, mode: CacheMode(rawValue: mode)!,
            shareAcrossCredentials: shareAcrossCredentials,
            routes: .standard(
                openAI: Upstream(
                    id: "openai", baseURL: upstream, provider: .openAI,
                    credential: try Self.credential(fromEnvironment: openaiKeyEnv)),
                anthropic: Upstream(
                    id: "anthropic", baseURL: anthropicUpstream, provider: .anthropic,
                    credential: try Self.credential(fromEnvironment: anthropicKeyEnv))
            )
            .withFallbacks(
                fallbackUpstream.enumerated().map { Upstream(id: "fallback-\($0)", baseURL: $1, provider: .openAI) },
                forUpstream: "openai"
            )
            .adding(try route.map { try RouteTable.parseRoute($0) }),
            memory: .init(maxBytes: memoryTierBytes),
            defaultTTL: ttl > 0 ? .seconds(ttl) : nil,
            manifest: manifest.map { .file($0) } ?? manifestDir.map { .directory($0) },
            memoryLimit: memoryLimit.flatMap(ByteCount.parse),
            prices: PriceTable(Dictionary(try price.map { try PriceTable.parseEntry($0) }, uniquingKeysWith: { $1 })))
        let adminToken = try Self.credential(fromEnvironment: adminTokenEnv)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(Self.prometheusFactory(registry))
        let server = try ProxyServer(
            configuration: configuration, logger: logger, metricsExposition: { registry.emitToBuffer() })
        var services: [any Service] = [
            server.application { port in
                logger.info("llmcache listening", metadata: ["address": "http://\(configuration.host):\(port)/v1", "store": "\(configuration.storeDirectory ?? "memory only")", "memory_limit": "\(configuration.memoryLimit.map(ByteCount.format) ?? "none")"])
            }
        ]
        if !noAdmin {
            let admin = AdminServer(proxy: server, configuration: .init(host: adminHost, port: adminPort, token: adminToken), logger: logger)
            services.append(admin.application { port in
                logger.info("llmcache admin API listening", metadata: ["address": "http://\(adminHost):\(port)", "token": "\(adminToken == nil ? "none" : "required")"])
            })
        }
        // Last, so that graceful shutdown reaches it first and /readyz turns 503 at once.
        services.append(server.readiness.drainWatcher)
        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// L1's size: as given, else 256 MiB — or half the memory limit when that is lower.
    var memoryTierBytes: Int {
        if let memoryBytes, let bytes = ByteCount.parse(memoryBytes) { return bytes }
        let standard = 256 << 20
        guard let limit = memoryLimit.flatMap(ByteCount.parse) else { return standard }
        return min(standard, limit / 2)
    }

    /// Prometheus with duration buckets fine enough for cache hits (100 µs) and long enough for
    /// slow completions (60 s).
    static func prometheusFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60),
        ]
        return factory
    }
}
