import ArgumentParser
import Hummingbird
import LLMCacheCore
import LLMCacheServer
import LLMCacheUpstream
import Logging

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

    @Option(help: "Memory tier budget in bytes.")
    var memoryBytes: Int = 256 << 20

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
        guard memoryBytes >= 1 << 20 else { throw ValidationError("--memory-bytes must be at least 1048576") }
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
            memory: .init(maxBytes: memoryBytes),
            defaultTTL: ttl > 0 ? .seconds(ttl) : nil,
            manifest: manifest.map { .file($0) } ?? manifestDir.map { .directory($0) })
        let server = try ProxyServer(configuration: configuration, logger: logger)
        let app = server.application { port in
            logger.info("llmcache listening", metadata: ["address": "http://\(configuration.host):\(port)/v1", "store": "\(configuration.storeDirectory ?? "memory only")"])
        }
        try await app.runService()
    }
}
