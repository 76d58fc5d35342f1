import ArgumentParser
import Hummingbird
import LLMCacheAdmin
import LLMCacheApp
import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins
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
            requests, commit queued writes and exit 0. Settings come from flags, then LLMCACHE_… \
            environment variables, then --config FILE, then defaults; SIGHUP or a change of the file \
            reloads it without losing the cache.
            """
    )

    @Option(help: ArgumentHelp("Configuration file (YAML); reloaded on SIGHUP and when it changes.", valueName: "file"))
    var config: String?

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default 8080; 0: any free port).")
    var port: Int?

    @Option(help: "Store directory of the disk tier (default .llmcache).")
    var store: String?

    @Flag(help: "Keep entries in memory only (no disk tier).")
    var memoryOnly = false

    @Option(
        help: ArgumentHelp(
            "PostgreSQL database of the tier several instances share, postgres://USER@HOST/DB (a password: rather ${VAR} in the file).",
            valueName: "url"))
    var sharedPostgres: String?

    @Option(help: "OpenAI-compatible upstream for all routes but Anthropic's (default https://api.openai.com).")
    var upstream: String?

    @Option(help: "Fallback for the OpenAI-compatible upstream when it stays unreachable or failing (repeatable).")
    var fallbackUpstream: [String] = []

    @Option(help: "Anthropic upstream for /v1/messages (default https://api.anthropic.com).")
    var anthropicUpstream: String?

    @Option(
        help: "Environment variable holding the key to send to the OpenAI-compatible upstream instead of the client's.")
    var openaiKeyEnv: String?

    @Option(help: "Environment variable holding the key to send to the Anthropic upstream instead of the client's.")
    var anthropicKeyEnv: String?

    @Option(
        help: ArgumentHelp(
            "Extra cacheable route PREFIX=URL[,anthropic] (repeatable), e.g. /openai/deployments=https://x.openai.azure.com.",
            valueName: "route"))
    var route: [String] = []

    @Option(help: "Cache mode: readwrite (default), replay, record or passthrough.")
    var mode: String?

    @Flag(help: "Share entries across credentials (needed to replay recordings under another key).")
    var shareAcrossCredentials = false

    @Option(
        help: ArgumentHelp(
            "Memory tier (L1) size, e.g. 256MiB (default 256MiB, or half of --memory-limit when that is lower).",
            valueName: "size"))
    var memoryBytes: String?

    @Option(
        help: ArgumentHelp(
            "Process memory budget, e.g. 1GiB: the memory governor shrinks L1 and stops promotions above 85 %, admits to disk only above 95 % (figure: anonymous RSS).",
            valueName: "size"))
    var memoryLimit: String?

    @Option(
        help: ArgumentHelp(
            "Price of a model for the money-saved estimate, MODEL=INPUT,OUTPUT[,CACHED_INPUT[,CACHE_WRITE]] in dollars per million tokens (the last two price the provider's own prompt cache; repeatable; a name also prices models it is a prefix of).",
            valueName: "price"))
    var price: [String] = []

    @Option(help: "Address of the admin API (default 127.0.0.1).")
    var adminHost: String?

    @Option(help: "Port of the admin API (default 8091; 0: any free port).")
    var adminPort: Int?

    @Flag(help: "Run without the admin API.")
    var noAdmin = false

    @Flag(help: "Allow a non-loopback --admin-host without a token (refused otherwise).")
    var adminAllowOpen = false

    @Option(help: "Environment variable holding a bearer token that the admin API requires.")
    var adminTokenEnv: String?

    @Option(help: "Time to live of stored entries in seconds (0: forever).")
    var ttl: Int?

    @Option(
        help: "Append a run manifest (a JSON line per cacheable request: key, route, model, status, tier) to this file."
    )
    var manifest: String?

    @Option(help: "Write run manifests per namespace into this directory (NAMESPACE.jsonl, default.jsonl).")
    var manifestDir: String?

    func validate() throws {
        guard manifest == nil || manifestDir == nil else {
            throw ValidationError("--manifest and --manifest-dir exclude each other")
        }
        if let ttl, ttl < 0 { throw ValidationError("--ttl must not be negative") }
        for text in price {
            do { _ = try PriceTable.parseEntry(text) } catch { throw ValidationError(error.description) }
        }
        for text in route {
            do { _ = try RouteTable.parseRoute(text) } catch { throw ValidationError(error.description) }
        }
        for url in fallbackUpstream where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
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

    /// The flags as configuration layers: scalar overrides (win over environment and file) and
    /// additions (routes, fallbacks, prices).
    func configurationLoader(registry: PluginRegistry) throws -> ConfigLoader {
        var overrides: [ConfigOverride] = []
        func set(_ path: String, _ value: String?, _ flag: String) {
            if let value { overrides.append(ConfigOverride(path: path, value: value, flag: flag)) }
        }
        set("listen.host", host, "--host")
        set("listen.port", port.map(String.init), "--port")
        set("store.path", store, "--store")
        set("store.enabled", memoryOnly ? "false" : nil, "--memory-only")
        set("shared.postgres.url", sharedPostgres, "--shared-postgres")
        set("upstreams.openai.url", upstream, "--upstream")
        set("upstreams.anthropic.url", anthropicUpstream, "--anthropic-upstream")
        set("upstreams.openai.api_key", try Self.credential(fromEnvironment: openaiKeyEnv), "--openai-key-env")
        set("upstreams.anthropic.api_key", try Self.credential(fromEnvironment: anthropicKeyEnv), "--anthropic-key-env")
        set("cache.mode", mode, "--mode")
        set("cache.share_across_credentials", shareAcrossCredentials ? "true" : nil, "--share-across-credentials")
        set("cache.ttl", ttl.map(String.init), "--ttl")
        set("memory.l1_bytes", memoryBytes, "--memory-bytes")
        set("memory.limit", memoryLimit, "--memory-limit")
        set("admin.host", adminHost, "--admin-host")
        set("admin.port", adminPort.map(String.init), "--admin-port")
        set("admin.enabled", noAdmin ? "false" : nil, "--no-admin")
        set("admin.allow_open", adminAllowOpen ? "true" : nil, "--admin-allow-open")
        set("admin.token", try Self.credential(fromEnvironment: adminTokenEnv), "--admin-token-env")
        set("manifest.file", manifest, "--manifest")
        set("manifest.directory", manifestDir, "--manifest-dir")
        var loader = ConfigLoader(
            path: config, environment: ConfigLoader.processEnvironment(), overrides: overrides,
            providers: Set(registry.providers.keys))
        for (index, url) in fallbackUpstream.enumerated() {
            loader.additions.upstreams.append(UpstreamSettings(id: "fallback-\(index)", url: url, provider: "openai"))
            loader.additions.fallbacks["openai", default: []].append("fallback-\(index)")
        }
        for text in route {
            let parsed = try RouteTable.parseRoute(text)
            loader.additions.upstreams.append(
                UpstreamSettings(
                    id: parsed.upstream.id, url: parsed.upstream.baseURL, provider: parsed.upstream.provider.rawValue))
            loader.additions.routes.append(RouteSettings(prefix: parsed.prefix, upstream: parsed.upstream.id))
        }
        for text in price {
            let (model, price) = try PriceTable.parseEntry(text)
            loader.additions.prices.append(
                PriceSettings(
                    model: model, input: price.inputPerMillion, output: price.outputPerMillion,
                    cachedInput: price.cachedInputPerMillion, cacheWrite: price.cacheWritePerMillion))
        }
        return loader
    }

    func run() async throws {
        let logger = {
            var logger = Logger(label: "llmcache")
            logger.logLevel = .info
            return logger
        }()
        let registry = PluginRegistry.installed
        let loader = try configurationLoader(registry: registry)
        let (settings, built, plugins) = try Self.build(loader, registry: registry)
        var adjusted = built
        if let directory = adjusted.storeDirectory,
            let damage = StoreStartCheck.damage(directory: directory, readsRecords: settings.store.checkOnStart)
        {
            guard settings.store.onDamage == "move_aside" else {
                throw ValidationError(
                    "the store \(directory) is damaged: \(damage). Move it aside (or set store.on_damage: move_aside "
                        + "to do that at start), or point --store elsewhere.")
            }
            let aside = try StoreStartCheck.moveAside(directory)
            logger.error(
                "damaged store moved aside; starting with a fresh one",
                metadata: ["store": "\(directory)", "moved_to": "\(aside)", "damage": "\(damage)"])
        }
        let descriptors = FileDescriptorLimit.raise()
        // Upstream connections, the store and logs, then the admin listener's share.
        let affordable = max(1, descriptors - FileDescriptorLimit.reserve - AdminServer.maximumConnections)
        if adjusted.listener.maximumConnections > affordable {
            logger.warning(
                "listen.max_connections lowered to what the open-file limit allows (raise ulimit -n for more)",
                metadata: [
                    "configured": "\(adjusted.listener.maximumConnections)", "open_file_limit": "\(descriptors)",
                    "max_connections": "\(affordable)",
                ])
            adjusted.listener.maximumConnections = affordable
        }
        let configuration = adjusted
        for name in loader.unknownEnvironmentVariables {
            logger.warning(
                "environment variable names no configuration key; ignored", metadata: ["variable": "\(name)"])
        }
        let registryMetrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(Self.prometheusFactory(registryMetrics))
        let admin =
            settings.admin.enabled
            ? AdminConfiguration(
                host: settings.admin.host, port: settings.admin.port, token: settings.admin.token,
                allowOpen: settings.admin.allowOpen)
            : nil
        let assembly = try await ProxyAssembly(
            configuration: configuration, plugins: plugins, admin: admin,
            reloading: .init(loader: loader, registry: registry, settings: settings), logger: logger,
            metricsExposition: { registryMetrics.emitToBuffer() })
        do { try await assembly.start() } catch { throw ValidationError("\(error)") }
        // The banner waits for both listeners, so that it can name the admin port.
        let ports = ListeningPorts(expectingAdmin: admin != nil) { proxyPort, adminPort in
            print(Self.banner(settings: settings, port: proxyPort, adminPort: adminPort))
            fflush(nil)  // stdout is a pipe or file under a supervisor: show the banner now
        }
        let services = assembly.services(
            onProxyListening: { port in
                logger.info(
                    "llmcache listening",
                    metadata: [
                        "address": "http://\(configuration.host):\(port)/v1",
                        "store": "\(configuration.storeDirectory ?? "memory only")",
                        "memory_limit": "\(configuration.memoryLimit.map(ByteCount.format) ?? "none")",
                        "config": "\(loader.path ?? "none")", "plugins": "\(plugins.names.joined(separator: ","))",
                    ])
                ports.proxy(port)
            },
            onAdminListening: { port in
                logger.info(
                    "llmcache admin API listening",
                    metadata: [
                        "address": "http://\(settings.admin.host):\(port)",
                        "token": "\(settings.admin.token == nil ? "none" : "required")",
                    ])
                ports.admin(port)
            })
        try await assembly.serviceGroup(services).run()
    }

    /// Loads the configuration and makes the proxy's configuration and plugins from it.
    static func build(_ loader: ConfigLoader, registry: PluginRegistry) throws -> (
        LLMCacheSettings, ProxyConfiguration, PluginChain
    ) {
        do {
            let settings = try loader.load()
            return (
                settings, try ProxyConfiguration(settings: settings, registry: registry),
                try registry.makeChain(settings.plugins)
            )
        } catch {
            throw ValidationError(error.description)
        }
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
