import LLMCacheCore

/// An extension of the proxy: lifecycle (start, shutdown) and hook points, called in priority
/// order (lower first; ties in configuration order). A plugin implements the hooks it lists in
/// ``hooks`` — the others are never called, and cost nothing.
///
/// Hooks are `async` (a synchronous implementation satisfies them); ``rewriteKey(_:request:)``
/// is synchronous, as it runs inside key computation. A hook that throws or outlives its timeout
/// is *isolated*: logged, counted (`llmcache_plugin_failures_total`) and skipped — the request
/// goes on as if the hook had done nothing — unless the plugin is critical, in which case the
/// request fails with 502 `plugin_failed`. Timeouts rely on cooperative cancellation (a hook that
/// never suspends cannot be abandoned); a synchronous hook can only be reported as slow.
///
/// Plugins are made per configuration: a reload makes new instances, starts them, switches
/// requests over, then shuts the old ones down (requests still running may finish on the old).
public protocol ProxyPlugin: Sendable {
    var hooks: PluginHooks { get }
    /// Used when the configuration gives no `priority` (built-ins: 100).
    var defaultPriority: Int { get }
    /// Used when the configuration gives no `critical` (built-ins: false).
    var isCritical: Bool { get }
    /// Used when the configuration gives no `timeout` (built-ins: 1 s).
    var defaultTimeout: Duration { get }
    /// The plugin's async hooks return promptly without suspending (no I/O, no waiting), so they
    /// run inline — without the timeout race, which costs two child tasks per call. A throw is
    /// still isolated. False by default; the built-ins say true.
    var runsInline: Bool { get }

    /// Before the first request under this configuration; a throw rejects the configuration.
    func start() async throws
    /// When the configuration is replaced or the proxy stops.
    func shutdown() async

    /// Before the cache is consulted: may change the request (headers, body), bypass the cache,
    /// or answer it.
    func beforeLookup(_ request: PluginRequest) async throws -> PluginDecision
    /// Transforms the request's canonical JSON before the key is computed (e.g. drop dates and
    /// UUIDs from message text). Synchronous.
    func rewriteKey(_ body: inout JSONValue, request: KeyRuleRequest) throws
    /// Before an answer is stored: may change it (redact) or veto storing it.
    func beforeStore(_ candidate: StoreCandidate) async throws -> StoreDecision
    /// After the response head is ready (streams may still be flowing): observe.
    func afterResponse(_ event: ResponseEvent) async throws
    /// When an upstream fails (unreachable, timeout, cut) or answers 5xx after retries.
    func onUpstreamError(_ event: UpstreamErrorEvent) async throws
}

/// The hook points a plugin implements.
public struct PluginHooks: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let beforeLookup = PluginHooks(rawValue: 1 << 0)
    public static let keyRules = PluginHooks(rawValue: 1 << 1)
    public static let beforeStore = PluginHooks(rawValue: 1 << 2)
    public static let afterResponse = PluginHooks(rawValue: 1 << 3)
    public static let upstreamError = PluginHooks(rawValue: 1 << 4)

    /// Every hook point, in bit order.
    package static let all: [PluginHooks] = [.beforeLookup, .keyRules, .beforeStore, .afterResponse, .upstreamError]

    /// The position of a single hook point's bit.
    package var index: Int { rawValue.trailingZeroBitCount }

    /// Names used in logs and metrics.
    package var name: String {
        switch self {
        case .beforeLookup: "before_lookup"
        case .keyRules: "key_rules"
        case .beforeStore: "before_store"
        case .afterResponse: "after_response"
        case .upstreamError: "upstream_error"
        default: "hooks"
        }
    }
}

extension ProxyPlugin {
    public var defaultPriority: Int { 100 }
    public var isCritical: Bool { false }
    public var defaultTimeout: Duration { .seconds(1) }
    public var runsInline: Bool { false }
    public func start() async throws {}
    public func shutdown() async {}
    public func beforeLookup(_ request: PluginRequest) async throws -> PluginDecision { .proceed(request) }
    public func rewriteKey(_ body: inout JSONValue, request: KeyRuleRequest) throws {}
    public func beforeStore(_ candidate: StoreCandidate) async throws -> StoreDecision { .store(candidate) }
    public func afterResponse(_ event: ResponseEvent) async throws {}
    public func onUpstreamError(_ event: UpstreamErrorEvent) async throws {}
}
