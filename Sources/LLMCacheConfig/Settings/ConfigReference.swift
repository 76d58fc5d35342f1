/// One documented key of the configuration file.
public struct ConfigKey: Sendable, Equatable {
    /// Key path; `<id>` and `<model>` stand for names, `[]` for list items.
    public var path: String
    public var type: String
    public var defaultValue: String
    /// Changes take effect on reload (SIGHUP or file change) without a restart.
    public var reloadable: Bool
    /// Redacted by `llmcache config check`; never logged.
    public var secret: Bool
    public var summary: String

    /// `LLMCACHE_LISTEN_PORT` for `listen.port`; nil for keys under names or lists.
    public var environmentVariable: String? {
        guard !path.contains("<"), !path.contains("[") else { return nil }
        return "LLMCACHE_" + path.uppercased().replacingDots()
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
}

extension LLMCacheSettings {
    /// ``reference`` as the Markdown table of docs/configuration.md (printed by
    /// `llmcache config reference`; a test keeps the page equal to it).
    public static var referenceTable: String {
        var table = "| key | type | default | reloads | secret | environment | |\n|---|---|---|---|---|---|---|\n"
        for key in reference {
            let variable = key.environmentVariable.map { "`\($0)`" } ?? "—"
            table += "| `\(key.path)` | \(key.type) | \(key.defaultValue) | \(key.reloadable ? "yes" : "no (warns)") "
            table += "| \(key.secret ? "yes" : "") | \(variable) | \(key.summary) |\n"
        }
        return table
    }

    /// Every key, as docs/configuration.md's reference lists it.
    public static let reference: [ConfigKey] = [
        .init(
            path: "listen.host", type: "string", defaultValue: "127.0.0.1", reloadable: false, secret: false,
            summary: "Address the proxy listens on."),
        .init(
            path: "listen.port", type: "int 0–65535", defaultValue: "8080", reloadable: false, secret: false,
            summary: "Port (0: any free port)."),
        .init(
            path: "listen.header_timeout", type: "duration", defaultValue: "60s", reloadable: false, secret: false,
            summary: "A new connection's request head must arrive within this; else it is closed."),
        .init(
            path: "listen.body_timeout", type: "duration", defaultValue: "60s", reloadable: false, secret: false,
            summary: "Longest pause between two reads of a request body; then the connection is closed."),
        .init(
            path: "listen.keepalive_timeout", type: "duration", defaultValue: "75s", reloadable: false,
            secret: false, summary: "Close a connection idle this long between requests (until the next head)."),
        .init(
            path: "listen.send_timeout", type: "duration", defaultValue: "60s", reloadable: false, secret: false,
            summary: "Disconnect a client that takes nothing of a response for this long."),
        .init(
            path: "listen.idle_timeout", type: "duration", defaultValue: "—", reloadable: false, secret: false,
            summary: "Shorthand: sets the header, body and keep-alive timeouts (each of those keys overrides it)."),
        .init(
            path: "listen.max_header_bytes", type: "int 1024–1048576", defaultValue: "32768", reloadable: false,
            secret: false, summary: "Largest request header section (a field, and all together); larger: 431."),
        .init(
            path: "listen.max_headers", type: "int 8–10000", defaultValue: "100", reloadable: false, secret: false,
            summary: "Most request header fields; more: 431."),
        .init(
            path: "listen.max_connections", type: "int 1–1000000", defaultValue: "4096", reloadable: false,
            secret: false, summary: "Connections at once; a new one beyond it gets 503 and is closed."),
        .init(
            path: "listen.shutdown_timeout", type: "duration", defaultValue: "30s", reloadable: false, secret: false,
            summary: "How long SIGTERM waits for requests in progress before cancelling them."),
        .init(
            path: "store.enabled", type: "bool", defaultValue: "true", reloadable: false, secret: false,
            summary: "false: memory only, no disk tier."),
        .init(
            path: "store.path", type: "string", defaultValue: ".llmcache", reloadable: false, secret: false,
            summary: "Store directory (LMDB)."),
        .init(
            path: "store.max_bytes", type: "size ≥ 1MiB", defaultValue: "unbounded", reloadable: false, secret: false,
            summary: "Bound on stored record bytes (least recently used evicted)."),
        .init(
            path: "store.map_size", type: "size ≥ 16MiB", defaultValue: "1TiB", reloadable: false, secret: false,
            summary: "Largest the LMDB map may grow to."),
        .init(
            path: "store.check_on_start", type: "bool", defaultValue: "true", reloadable: false, secret: false,
            summary: "Read every record in a child process before serving (damage crashes the child)."),
        .init(
            path: "store.on_damage", type: "refuse, move_aside", defaultValue: "refuse", reloadable: false,
            secret: false, summary: "A damaged store: refuse to start, or move it aside and start fresh."),
        .init(
            path: "store.tenant_scope", type: "portable, private", defaultValue: "portable", reloadable: false,
            secret: false,
            summary:
                "The secret a new store keys credentials' scopes with: portable (the same everywhere: recordings "
                + "travel) or private (random, this store's own). An existing store keeps its own."),
        .init(
            path: "store.train_dictionary", type: "bool", defaultValue: "true", reloadable: false, secret: false,
            summary:
                "Train a zstd dictionary from the store's own records once it holds 1,000, off the request path, "
                + "and again when compression drifts; older records stay readable."),
        .init(
            path: "cache.mode", type: "readwrite, replay, record, passthrough", defaultValue: "readwrite",
            reloadable: true, secret: false, summary: "Server-wide mode (per request: x-llmcache-mode)."),
        .init(
            path: "cache.ttl", type: "duration", defaultValue: "0 (forever)", reloadable: true, secret: false,
            summary: "Time to live of new entries (per request: x-llmcache-ttl)."),
        .init(
            path: "cache.stale_if_error", type: "duration", defaultValue: "0 (never)", reloadable: true, secret: false,
            summary:
                "Past its TTL, an entry may still answer (STALE) this long when the upstream fails: unreachable, timeout, 5xx or 429."
        ),
        .init(
            path: "cache.stale_while_revalidate", type: "duration", defaultValue: "0 (never)", reloadable: true,
            secret: false,
            summary:
                "Past its TTL, an entry is answered at once (STALE) this long while one background request refreshes it."
        ),
        .init(
            path: "cache.samples", type: "int 1–64", defaultValue: "1 (off)", reloadable: true, secret: false,
            summary:
                "Answers kept per key for requests that are not deterministic (temperature > 0, n > 1, x-llmcache-sample)."
        ),
        .init(
            path: "cache.share_across_credentials", type: "bool", defaultValue: "false", reloadable: true,
            secret: false, summary: "No tenant scope in keys (replay recordings under another key)."),
        .init(
            path: "cache.max_request_bytes", type: "size ≥ 1KiB", defaultValue: "32MiB", reloadable: true,
            secret: false, summary: "Larger request bodies get 413."),
        .init(
            path: "cache.max_stored_response_bytes", type: "size ≥ 1KiB", defaultValue: "16MiB", reloadable: true,
            secret: false, summary: "Larger answers are relayed, not stored."),
        .init(
            path: "cache.max_json_depth", type: "int 4–10000", defaultValue: "128", reloadable: true, secret: false,
            summary: "Nesting limit of request JSON."),
        .init(
            path: "memory.l1_bytes", type: "size ≥ 1MiB", defaultValue: "256MiB (or half of memory.limit)",
            reloadable: true, secret: false, summary: "Memory tier (L1) size; both tiers keep their entries on reload."),
        .init(
            path: "memory.limit", type: "size ≥ 16MiB", defaultValue: "none", reloadable: true, secret: false,
            summary:
                "Process memory budget for the governor (reloads when the proxy started with one; adding or removing it needs a restart)."
        ),
        .init(
            path: "shared.postgres.url", type: "postgres:// URL", defaultValue: "none", reloadable: false,
            secret: true,
            summary:
                "The shared tier's database (several instances, one cache); `?host=/dir` for a socket. Password: use ${VAR}."
        ),
        .init(
            path: "shared.postgres.pool_size", type: "int 1–1000", defaultValue: "8", reloadable: false,
            secret: false, summary: "Database connections per instance (one more listens for notifications)."),
        .init(
            path: "shared.postgres.table_prefix", type: "[a-z_][a-z0-9_]*", defaultValue: "llmcache_",
            reloadable: false, secret: false, summary: "Prefix of the tables: several deployments can share a database."
        ),
        .init(
            path: "shared.postgres.lookup_timeout", type: "duration", defaultValue: "50ms", reloadable: false,
            secret: false, summary: "A shared-tier lookup slower than this is a miss (counted as an error)."),
        .init(
            path: "shared.postgres.connect_timeout", type: "duration", defaultValue: "5s", reloadable: false,
            secret: false, summary: "Time allowed to connect (at start, the schema check gets three times this)."),
        .init(
            path: "shared.postgres.unlogged", type: "bool", defaultValue: "false", reloadable: false, secret: false,
            summary: "Create the entries table UNLOGGED: faster writes, emptied by a database crash."),
        .init(
            path: "shared.postgres.max_bytes", type: "size ≥ 1MiB", defaultValue: "unbounded", reloadable: false,
            secret: false, summary: "Bound on the shared records' bytes (the oldest are removed by one instance)."),
        .init(
            path: "shared.postgres.write_queue_limit", type: "int ≥ 1", defaultValue: "10000", reloadable: false,
            secret: false, summary: "Entries waiting to be written; beyond it new stores are dropped (counted)."),
        .init(
            path: "shared.postgres.batch_size", type: "int 1–10000", defaultValue: "200", reloadable: false,
            secret: false, summary: "Entries per multi-row upsert."),
        .init(
            path: "shared.postgres.lease_timeout", type: "duration", defaultValue: "30s", reloadable: false,
            secret: false,
            summary:
                "A fetch's lease across instances lasts this long unless renewed (its instance renews it while fetching); "
                + "once it lapses (the instance died), a waiting instance fetches itself."),
        .init(
            path: "upstreams.<id>.url", type: "http(s) URL",
            defaultValue: "openai: https://api.openai.com, anthropic: https://api.anthropic.com", reloadable: true,
            secret: false, summary: "Base URL of an upstream; openai and anthropic always exist."),
        .init(
            path: "upstreams.<id>.provider", type: "openai, anthropic, or a plugin's provider",
            defaultValue: "openai (anthropic for id anthropic)", reloadable: true, secret: false,
            summary: "Wire format, default ignore list and credential header — or a plugin's transport."),
        .init(
            path: "upstreams.<id>.api_key", type: "string",
            defaultValue: "none (the client's credential passes through)", reloadable: true, secret: true,
            summary: "Credential sent instead of the client's."),
        .init(
            path: "upstreams.<id>.fallbacks", type: "list of upstream ids", defaultValue: "[]", reloadable: true,
            secret: false, summary: "Tried in order when the upstream stays failing after retries."),
        .init(
            path: "routes[].prefix", type: "path", defaultValue: "—", reloadable: true, secret: false,
            summary: "Extra route prefix (longest prefix wins; replaces a standard route with the same prefix)."),
        .init(
            path: "routes[].upstream", type: "upstream id", defaultValue: "—", reloadable: true, secret: false,
            summary: "Where the route goes."),
        .init(
            path: "routes[].cacheable", type: "bool", defaultValue: "true", reloadable: true, secret: false,
            summary: "false: pass through untouched."),
        .init(
            path: "routes[].samples", type: "int 1–64", defaultValue: "cache.samples", reloadable: true, secret: false,
            summary: "This route's sample buckets."),
        .init(
            path: "routes[].stale_if_error", type: "duration", defaultValue: "cache.stale_if_error", reloadable: true,
            secret: false, summary: "This route's stale-if-error window."),
        .init(
            path: "routes[].stale_while_revalidate", type: "duration", defaultValue: "cache.stale_while_revalidate",
            reloadable: true, secret: false, summary: "This route's stale-while-revalidate window."),
        .init(
            path: "upstream_client.connect_timeout", type: "duration", defaultValue: "10s", reloadable: false,
            secret: false, summary: "Connect timeout."),
        .init(
            path: "upstream_client.head_timeout", type: "duration", defaultValue: "120s", reloadable: false,
            secret: false, summary: "Time allowed from sending a request until the response head arrives."),
        .init(
            path: "upstream_client.stream_idle_timeout", type: "duration", defaultValue: "120s", reloadable: false,
            secret: false,
            summary: "Time allowed between two chunks of an answer; a stream cut by it ends with an SSE `error` event."),
        .init(
            path: "upstream_client.total_timeout", type: "duration", defaultValue: "600s", reloadable: false,
            secret: false,
            summary: "Time allowed for a whole exchange, from sending the request to the answer's last byte."),
        .init(
            path: "upstream_client.max_connections_per_host", type: "int 1–10000", defaultValue: "64",
            reloadable: false, secret: false, summary: "Connection pool size per upstream host."),
        .init(
            path: "manifest.file", type: "path", defaultValue: "none", reloadable: false, secret: false,
            summary: "Append a run manifest line per cacheable request."),
        .init(
            path: "manifest.directory", type: "path", defaultValue: "none", reloadable: false, secret: false,
            summary: "Run manifests per namespace (NAMESPACE.jsonl)."),
        .init(
            path: "prices.<model>.input", type: "number ≥ 0", defaultValue: "—", reloadable: true, secret: false,
            summary: "Dollars per million input tokens (a name also prices models it prefixes)."),
        .init(
            path: "prices.<model>.output", type: "number ≥ 0", defaultValue: "—", reloadable: true, secret: false,
            summary: "Dollars per million output tokens."),
        .init(
            path: "prices.<model>.cached_input", type: "number ≥ 0", defaultValue: "none", reloadable: true,
            secret: false,
            summary: "Dollars per million input tokens read from the provider's prompt cache (prices its discount)."),
        .init(
            path: "prices.<model>.cache_write", type: "number ≥ 0", defaultValue: "none", reloadable: true,
            secret: false, summary: "Dollars per million input tokens written to the provider's prompt cache."),
        .init(
            path: "admin.enabled", type: "bool", defaultValue: "true", reloadable: false, secret: false,
            summary: "Run the admin API."),
        .init(
            path: "admin.host", type: "string", defaultValue: "127.0.0.1", reloadable: false, secret: false,
            summary: "Admin API address."),
        .init(
            path: "admin.port", type: "int 0–65535", defaultValue: "8091", reloadable: false, secret: false,
            summary: "Admin API port."),
        .init(
            path: "admin.token", type: "string", defaultValue: "none", reloadable: false, secret: true,
            summary: "Bearer token the admin API requires."),
        .init(
            path: "admin.allow_open", type: "bool", defaultValue: "false", reloadable: false, secret: false,
            summary: "Allow a non-loopback admin.host without a token (refused otherwise)."),
        .init(
            path: "plugins[].name", type: "string", defaultValue: "—", reloadable: true, secret: false,
            summary: "A built-in (access_log, redaction, key_rules, header_rules) or a linked-in plugin."),
        .init(
            path: "plugins[].enabled", type: "bool", defaultValue: "true", reloadable: true, secret: false,
            summary: "false: keep the entry, skip the plugin."),
        .init(
            path: "plugins[].priority", type: "int", defaultValue: "the plugin's (built-ins: 100)", reloadable: true,
            secret: false, summary: "Hooks run in ascending priority (ties: file order)."),
        .init(
            path: "plugins[].critical", type: "bool", defaultValue: "the plugin's (built-ins: false)", reloadable: true,
            secret: false, summary: "A failing or slow hook fails the request instead of being skipped."),
        .init(
            path: "plugins[].timeout", type: "duration 1ms–600s", defaultValue: "the plugin's (built-ins: 1s)",
            reloadable: true, secret: false, summary: "How long an async hook may take."),
        .init(
            path: "plugins[].settings", type: "mapping", defaultValue: "{}", reloadable: true, secret: false,
            summary:
                "The plugin's own keys (see Plugins); keys named *token*, *secret*, *password* or *key are redacted."),
    ]

    /// Keys that only take effect at startup (a reload that changes them warns).
    public func startupOnlyChanges(from old: LLMCacheSettings) -> [String] {
        var changed: [String] = []
        if listen.host != old.listen.host { changed.append("listen.host") }
        if listen.port != old.listen.port { changed.append("listen.port") }
        if listen != old.listen, listen.host == old.listen.host, listen.port == old.listen.port {
            changed.append("listen (limits)")
        }
        if store.enabled != old.store.enabled { changed.append("store.enabled") }
        if store.path != old.store.path { changed.append("store.path") }
        if store.maxBytes != old.store.maxBytes { changed.append("store.max_bytes") }
        if store.mapSize != old.store.mapSize { changed.append("store.map_size") }
        if store.tenantScope != old.store.tenantScope { changed.append("store.tenant_scope") }
        if store.trainDictionary != old.store.trainDictionary { changed.append("store.train_dictionary") }
        if store.checkOnStart != old.store.checkOnStart || store.onDamage != old.store.onDamage {
            changed.append("store (damage handling)")
        }
        if upstreamClient != old.upstreamClient { changed.append("upstream_client") }
        if manifest != old.manifest { changed.append("manifest") }
        if admin != old.admin { changed.append("admin") }
        if shared != old.shared { changed.append("shared") }
        if (memory.limit == nil) != (old.memory.limit == nil) { changed.append("memory.limit (added or removed)") }
        return changed
    }
}
