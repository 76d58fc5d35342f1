import LLMCacheCore

extension LLMCacheSettings {
    static let redacted = "<redacted>"

    /// The effective configuration as YAML that `load` reads back to the same settings (with
    /// secrets replaced by `<redacted>` when `redactingSecrets`). What `llmcache config check`
    /// prints.
    public func yaml(redactingSecrets: Bool = true) -> String {
        var out = YAMLWriter()
        func secret(_ value: String?) -> YAMLWriter.Scalar {
            guard let value else { return .null }
            return .string(redactingSecrets ? Self.redacted : value)
        }
        out.section("listen") {
            $0.scalar("host", .string(listen.host))
            $0.scalar("port", .plain("\(listen.port)"))
            $0.scalar("header_timeout", .plain(ConfigDuration.format(listen.headerTimeout)))
            $0.scalar("body_timeout", .plain(ConfigDuration.format(listen.bodyTimeout)))
            $0.scalar("keepalive_timeout", .plain(ConfigDuration.format(listen.keepAliveTimeout)))
            $0.scalar("send_timeout", .plain(ConfigDuration.format(listen.sendTimeout)))
            $0.scalar("max_header_bytes", .plain("\(listen.maxHeaderBytes)"))
            $0.scalar("max_headers", .plain("\(listen.maxHeaders)"))
            $0.scalar("max_connections", .plain("\(listen.maxConnections)"))
            $0.scalar("shutdown_timeout", .plain(ConfigDuration.format(listen.shutdownTimeout)))
        }
        out.section("store") {
            $0.scalar("enabled", .plain("\(store.enabled)"))
            $0.scalar("path", .string(store.path))
            $0.scalar("max_bytes", store.maxBytes.map { .plain(Self.size($0)) } ?? .null)
            $0.scalar("map_size", .plain(Self.size(store.mapSize)))
            $0.scalar("check_on_start", .plain("\(store.checkOnStart)"))
            $0.scalar("on_damage", .plain(store.onDamage))
            $0.scalar("tenant_scope", .plain(store.tenantScope))
            $0.scalar("train_dictionary", .plain("\(store.trainDictionary)"))
        }
        out.section("cache") {
            $0.scalar("mode", .string(cache.mode))
            $0.scalar("ttl", .plain(cache.ttl.map(ConfigDuration.format) ?? "0"))
            $0.scalar("stale_if_error", .plain(ConfigDuration.format(cache.staleIfError)))
            $0.scalar("stale_while_revalidate", .plain(ConfigDuration.format(cache.staleWhileRevalidate)))
            $0.scalar("samples", .plain("\(cache.samples)"))
            $0.scalar("share_across_credentials", .plain("\(cache.shareAcrossCredentials)"))
            $0.scalar("max_request_bytes", .plain(Self.size(cache.maxRequestBytes)))
            $0.scalar("max_stored_response_bytes", .plain(Self.size(cache.maxStoredResponseBytes)))
            $0.scalar("max_json_depth", .plain("\(cache.maxJSONDepth)"))
        }
        out.section("memory") {
            $0.scalar("l1_bytes", .plain(Self.size(memory.effectiveL1Bytes)))
            $0.scalar("limit", memory.limit.map { .plain(Self.size($0)) } ?? .null)
        }
        out.section("shared") { sharedOut in
            let postgres = shared.postgres
            sharedOut.section("postgres") {
                $0.scalar(
                    "url",
                    postgres.url.map { .string(redactingSecrets ? Self.redactingPassword($0) : $0) } ?? .null)
                $0.scalar("pool_size", .plain("\(postgres.poolSize)"))
                $0.scalar("table_prefix", .string(postgres.tablePrefix))
                $0.scalar("lookup_timeout", .plain(ConfigDuration.format(postgres.lookupTimeout)))
                $0.scalar("connect_timeout", .plain(ConfigDuration.format(postgres.connectTimeout)))
                $0.scalar("unlogged", .plain("\(postgres.unlogged)"))
                $0.scalar("max_bytes", postgres.maxBytes.map { .plain(Self.size($0)) } ?? .null)
                $0.scalar("write_queue_limit", .plain("\(postgres.writeQueueLimit)"))
                $0.scalar("batch_size", .plain("\(postgres.batchSize)"))
                $0.scalar("lease_timeout", .plain(ConfigDuration.format(postgres.leaseTimeout)))
            }
        }
        out.section("upstreams") { upstreamsOut in
            for upstream in upstreams {
                upstreamsOut.section(upstream.id) {
                    $0.scalar("url", .string(upstream.url))
                    $0.scalar("provider", .string(upstream.provider))
                    $0.scalar("api_key", secret(upstream.apiKey))
                    $0.list("fallbacks", upstream.fallbacks.map { .string($0) })
                }
            }
        }
        out.items("routes", routes) { route, item in
            item.scalar("prefix", .string(route.prefix))
            item.scalar("upstream", .string(route.upstream))
            item.scalar("cacheable", .plain("\(route.cacheable)"))
            if let samples = route.samples { item.scalar("samples", .plain("\(samples)")) }
            if let window = route.staleIfError { item.scalar("stale_if_error", .plain(ConfigDuration.format(window))) }
            if let window = route.staleWhileRevalidate {
                item.scalar("stale_while_revalidate", .plain(ConfigDuration.format(window)))
            }
        }
        out.section("upstream_client") {
            $0.scalar("connect_timeout", .plain(ConfigDuration.format(upstreamClient.connectTimeout)))
            $0.scalar("head_timeout", .plain(ConfigDuration.format(upstreamClient.headTimeout)))
            $0.scalar("stream_idle_timeout", .plain(ConfigDuration.format(upstreamClient.streamIdleTimeout)))
            $0.scalar("total_timeout", .plain(ConfigDuration.format(upstreamClient.totalTimeout)))
            $0.scalar("max_connections_per_host", .plain("\(upstreamClient.maxConnectionsPerHost)"))
        }
        out.section("manifest") {
            $0.scalar("file", manifest.file.map { .string($0) } ?? .null)
            $0.scalar("directory", manifest.directory.map { .string($0) } ?? .null)
        }
        out.section("prices") { pricesOut in
            for price in prices {
                pricesOut.section(price.model) {
                    $0.scalar("input", .plain("\(price.input)"))
                    $0.scalar("output", .plain("\(price.output)"))
                    if let cachedInput = price.cachedInput { $0.scalar("cached_input", .plain("\(cachedInput)")) }
                    if let cacheWrite = price.cacheWrite { $0.scalar("cache_write", .plain("\(cacheWrite)")) }
                }
            }
        }
        out.section("admin") {
            $0.scalar("enabled", .plain("\(admin.enabled)"))
            $0.scalar("host", .string(admin.host))
            $0.scalar("port", .plain("\(admin.port)"))
            $0.scalar("token", secret(admin.token))
            $0.scalar("allow_open", .plain("\(admin.allowOpen)"))
        }
        out.items("plugins", plugins) { plugin, item in
            item.scalar("name", .string(plugin.name))
            item.scalar("enabled", .plain("\(plugin.enabled)"))
            if let priority = plugin.priority { item.scalar("priority", .plain("\(priority)")) }
            if let critical = plugin.critical { item.scalar("critical", .plain("\(critical)")) }
            if let timeout = plugin.timeout { item.scalar("timeout", .plain(ConfigDuration.format(timeout))) }
            item.node("settings", plugin.settings, redactingSecrets: redactingSecrets)
        }
        return out.text
    }

    /// Whether a plugin setting's key names a secret (`token`, `secret`, `password`, `…key`).
    public static func isSecretKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        return lower.contains("token") || lower.contains("secret") || lower.contains("password")
            || lower.hasSuffix("key")
    }

    /// Exact sizes in the largest binary unit that divides them.
    static func size(_ bytes: Int) -> String {
        for (unit, shift) in [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)]
        where bytes != 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)"
    }
}

/// A small block-style YAML writer (two-space indents, strings quoted when they must be).
struct YAMLWriter {
    enum Scalar {
        case null
        /// Written as is (numbers, booleans, sizes).
        case plain(String)
        case string(String)
    }

    private(set) var text = ""
    private var indent = 0

    mutating func scalar(_ key: String, _ value: Scalar) {
        text += String(repeating: " ", count: indent) + Self.key(key) + ": " + Self.render(value) + "\n"
    }

    mutating func section(_ key: String, _ body: (inout YAMLWriter) -> Void) {
        var child = YAMLWriter()
        child.indent = indent + 2
        body(&child)
        text +=
            String(repeating: " ", count: indent) + Self.key(key) + (child.text.isEmpty ? ": {}\n" : ":\n" + child.text)
    }

    mutating func list(_ key: String, _ values: [Scalar]) {
        text +=
            String(repeating: " ", count: indent) + Self.key(key) + ": ["
            + values.map(Self.render).joined(separator: ", ") + "]\n"
    }

    mutating func items<T>(_ key: String, _ values: [T], _ body: (T, inout YAMLWriter) -> Void) {
        guard !values.isEmpty else {
            text += String(repeating: " ", count: indent) + Self.key(key) + ": []\n"
            return
        }
        text += String(repeating: " ", count: indent) + Self.key(key) + ":\n"
        for value in values {
            var child = YAMLWriter()
            child.indent = indent + 4
            body(value, &child)
            var lines = child.text
            // The first line of an item starts with "- ".
            let pad = String(repeating: " ", count: indent + 4)
            if lines.hasPrefix(pad) {
                lines = String(repeating: " ", count: indent + 2) + "- " + lines.dropFirst(pad.count)
            }
            text += lines
        }
    }

    /// A parsed node, as found in the file (plugin settings).
    mutating func node(_ key: String, _ node: ConfigNode, redactingSecrets: Bool) {
        switch node.kind {
        case .null: scalar(key, .null)
        case .scalar(let value, _):
            scalar(
                key, .string(redactingSecrets && LLMCacheSettings.isSecretKey(key) ? LLMCacheSettings.redacted : value))
        case .mapping(let entries):
            section(key) { child in
                for entry in entries { child.node(entry.key, entry.value, redactingSecrets: redactingSecrets) }
            }
        case .sequence(let nodes):
            items(key, nodes) { item, child in
                if item.text != nil || item.kind == .null {
                    // A list of scalars: one "- value" line each.
                    child.text +=
                        String(repeating: " ", count: child.indent)
                        + Self.render(item.text.map { .string($0) } ?? .null) + "\n"
                } else if let entries = item.entries {
                    for entry in entries { child.node(entry.key, entry.value, redactingSecrets: redactingSecrets) }
                } else {
                    child.node("items", item, redactingSecrets: redactingSecrets)
                }
            }
        }
    }

    static func key(_ key: String) -> String { isPlain(key) ? key : quoted(key) }

    static func render(_ value: Scalar) -> String {
        switch value {
        case .null: "null"
        case .plain(let text): text
        case .string(let text):
            isPlain(text) && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(text.lowercased())
                && Double(text) == nil ? text : quoted(text)
        }
    }

    static func isPlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first,
            first.properties.isAlphabetic || first == "/" || first == "." || first == "_"
        else { return false }
        return text.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-/<>".unicodeScalars.contains($0)
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
