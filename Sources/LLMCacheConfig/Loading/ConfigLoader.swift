#if canImport(Glibc)
    import Glibc
#endif

/// A value given on the command line for a key path (flags win over everything).
public struct ConfigOverride: Sendable, Equatable {
    public var path: String
    public var value: String
    /// The flag, for messages: `--port`.
    public var flag: String

    public init(path: String, value: String, flag: String) {
        self.path = path
        self.value = value
        self.flag = flag
    }
}

/// Builds the effective configuration from its layers — defaults, the file (with `${VAR}`
/// substituted), `LLMCACHE_…` environment variables, then flags — and checks it. Run again
/// with the same environment and flags on every reload, so the precedence holds across reloads.
public struct ConfigLoader: Sendable {
    /// The configuration file; nil: defaults, environment and flags only.
    public var path: String?
    public var environment: [String: String]
    public var overrides: [ConfigOverride]
    /// Upstream provider names registered by plugins.
    public var providers: Set<String>
    /// Repeatable flags (routes, prices, fallbacks), added after the file is read.
    public var additions = ConfigAdditions()

    public init(
        path: String?, environment: [String: String], overrides: [ConfigOverride] = [], providers: Set<String> = []
    ) {
        self.path = path
        self.environment = environment
        self.overrides = overrides
        self.providers = providers
    }

    /// The effective settings.
    public func load() throws(ConfigError) -> LLMCacheSettings {
        let text: String
        if let path {
            do { text = try Self.readFile(path) } catch {
                throw ConfigError(path: "", origin: ConfigOrigin(source: path), error.message)
            }
        } else {
            text = ""
        }
        return try load(text: text, source: path ?? "defaults")
    }

    /// The effective settings from YAML `text` (tests, `config check` of piped text).
    public func load(text: String, source: String) throws(ConfigError) -> LLMCacheSettings {
        var root = try ConfigNode.parse(yaml: text, source: source)
        var issues: [ConfigIssue] = []
        root = root.substituted(environment: environment, path: "", issues: &issues)
        if !issues.isEmpty { throw ConfigError(issues) }
        if root.entries == nil, root.kind != .null {
            throw ConfigError(path: "", origin: root.origin, "the file must be a mapping of keys (listen:, cache:, …)")
        }
        for key in LLMCacheSettings.reference {
            guard let name = key.environmentVariable, let value = environment[name] else { continue }
            root = root.setting(
                key.path.split(separator: ".").map(String.init)[...], to: value,
                origin: ConfigOrigin(source: "environment \(name)"))
        }
        for override in overrides {
            root = root.setting(
                override.path.split(separator: ".").map(String.init)[...], to: override.value,
                origin: ConfigOrigin(source: "flag \(override.flag)"))
        }
        var settings = try LLMCacheSettings.decode(root, providers: providers)
        additions.apply(to: &settings)
        return settings
    }

    /// This process's environment.
    public static func processEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return environment
    }

    /// `LLMCACHE_…` variables that name no key (a typo would otherwise be silently ignored).
    public var unknownEnvironmentVariables: [String] {
        let known = Set(LLMCacheSettings.reference.compactMap(\.environmentVariable))
        return environment.keys.filter { $0.hasPrefix("LLMCACHE_") && !known.contains($0) }.sorted()
    }

    struct ReadError: Error { var message: String }

    /// The file's text (at most 16 MiB; must be UTF-8).
    static func readFile(_ path: String) throws(ReadError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReadError(message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(message: "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[..<count]
            if bytes.count > 16 << 20 { throw ReadError(message: "larger than 16 MiB; not a configuration file") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ReadError(message: "not UTF-8 text") }
        return text
    }
}

/// What repeatable command-line flags add on top of the file: extra upstreams and routes
/// (`--route`), fallbacks (`--fallback-upstream`) and prices (`--price`). Flags win: a route
/// with the same prefix or a price for the same model replaces the file's.
public struct ConfigAdditions: Sendable, Equatable {
    public var upstreams: [UpstreamSettings] = []
    /// Upstream id → fallback ids appended to it.
    public var fallbacks: [String: [String]] = [:]
    public var routes: [RouteSettings] = []
    public var prices: [PriceSettings] = []

    public init() {}

    func apply(to settings: inout LLMCacheSettings) {
        for upstream in upstreams {
            if let index = settings.upstreams.firstIndex(where: { $0.id == upstream.id }) {
                settings.upstreams[index] = upstream
            } else {
                settings.upstreams.append(upstream)
            }
        }
        for (id, extra) in fallbacks.sorted(by: { $0.key < $1.key }) {
            if let index = settings.upstreams.firstIndex(where: { $0.id == id }) {
                settings.upstreams[index].fallbacks += extra
            }
        }
        let prefixes = Set(routes.map(\.prefix))
        settings.routes = settings.routes.filter { !prefixes.contains($0.prefix) } + routes
        let models = Set(prices.map(\.model))
        settings.prices = settings.prices.filter { !models.contains($0.model) } + prices
    }
}
