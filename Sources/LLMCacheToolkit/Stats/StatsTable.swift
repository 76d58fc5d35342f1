import LLMCacheCore
import LLMCacheShared
import LLMCacheStore

/// `llmcache stats`: readable tables of a running proxy's `/stats`, or of a store at rest.
public enum StatsTable {
    /// The table of a `/stats` document. Throws when it is not one.
    public static func render(stats: JSONValue) throws -> String {
        guard case .object = stats, let tiers = stats["tiers"], let memory = tiers["memory"] else {
            throw ToolkitError("the answer is not llmcache /stats JSON (no tiers.memory)")
        }
        var rows = [["tier", "hits", "misses", "hit rate", "entries", "bytes", "evictions"]]
        rows.append(tierRow("memory", memory))
        if let disk = tiers["disk"] { rows.append(tierRow("disk", disk)) }
        if let shared = tiers["shared"] { rows.append(tierRow("shared", shared)) }
        var text = table(rows)
        if let shared = tiers["shared"] {
            text += "\nshared tier       " + (shared["failing"] == .bool(true) ? "FAILING" : "working")
            text += ": \(int(shared["errors"])) errors, \(int(shared["pending_writes"])) writes pending, "
            text += "\(int(shared["dropped_writes"])) dropped, \(int(shared["lease_waits"])) waits on other instances, "
            text += "mean lookup \(number(shared["mean_lookup_microseconds"])) µs"
            if case .string(let error)? = shared["last_error"] { text += "\n                  last error: \(error)" }
        }
        text += "\noverall hit rate  \(percent(stats["hit_ratio"]))"
        if let requests = stats["requests"], case .object(let members) = requests {
            let counted = members.filter { ($0.value.intValue ?? 0) > 0 }.map { "\($0.key) \(int($0.value))" }
            text += "\nrequests          " + (counted.isEmpty ? "none yet" : counted.joined(separator: ", "))
        }
        text += "\npromotions        \(int(stats["promotions"]))   coalesced \(int(stats["coalesced"]))"
        if let upstream = stats["upstream"] {
            text += "\nupstream calls    \(int(upstream["requests"])) (errors \(int(upstream["errors"])))"
        }
        if let saved = stats["saved"] {
            text +=
                "\nsaved             \(int(saved["input_tokens"])) input + \(int(saved["output_tokens"])) output tokens"
            text += ", $\(number(saved["dollars"]))"
            if (saved["unpriced_hits"]?.intValue ?? 0) > 0 {
                text += " (\(int(saved["unpriced_hits"])) hits of models without a price)"
            }
        }
        if let provider = stats["provider_cache"], (provider["calls"]?.intValue ?? 0) > 0 {
            // The provider's own prompt caching, on calls that did go upstream — not the cache's savings.
            text += "\nprovider cache    \(int(provider["read_tokens"])) tokens read, "
            text += "\(int(provider["write_tokens"])) written on \(int(provider["calls"])) calls, "
            text += "net $\(number(provider["net_dollars"])) discount (not counted in saved)"
            if (provider["unpriced_calls"]?.intValue ?? 0) > 0 {
                text += " (\(int(provider["unpriced_calls"])) calls of models without a price)"
            }
        }
        if let governor = stats["governor"], governor != .null {
            text += "\nmemory governor   \(governor["level"]?.stringValue ?? "?"): "
            text += "\(bytes(governor["resident_bytes"])) of \(bytes(governor["budget_bytes"])) budget, "
            text += "L1 limit \(bytes(governor["memory_tier_limit"]))"
        } else {
            text += "\nmemory governor   off (no --memory-limit)"
        }
        if let uptime = stats["uptime_seconds"] { text += "\nuptime            \(int(uptime)) s" }
        return text + "\n"
    }

    /// The table of a store read directly (no server): what it holds, by namespace and model.
    /// Hit rates are counted by a running server only.
    public static func render(store: DiskTier) throws -> String {
        let stats = store.stats
        var byNamespace: [String: Int] = [:]
        var byModel: [String: Int] = [:]
        try store.scan(where: { header in
            byNamespace[header.namespace.isEmpty ? "(default)" : header.namespace, default: 0] += 1
            byModel[header.request?.model ?? "(unknown)", default: 0] += 1
            return false
        }) { _ in }
        var text = table([
            ["tier", "entries", "bytes", "raw bytes", "compression", "file"],
            [
                "disk", "\(stats.entries)", ByteCount.format(stats.bytes), ByteCount.format(stats.rawBytes),
                "\(Double(Int(stats.compressionRatio * 100)) / 100)x", ByteCount.format(stats.bytesOnDisk),
            ],
        ])
        text +=
            "\n"
            + table(
                [["namespace", "entries"]] + byNamespace.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
        text +=
            "\n" + table([["model", "entries"]] + byModel.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
        text += "\nhit rates are counted by a running proxy: llmcache stats --url http://HOST:PORT\n"
        return text
    }

    /// The table of the shared tier's database read directly (no server).
    public static func render(shared summary: SharedTier.TableSummary) -> String {
        var text = table([
            ["tier", "entries", "expired", "record bytes", "table", "bytes/entry"],
            [
                "shared", "\(summary.entries)", "\(summary.expired)", ByteCount.format(summary.recordBytes),
                ByteCount.format(summary.tableBytes),
                summary.entries == 0 ? "-" : "\(summary.tableBytes / summary.entries)",
            ],
        ])
        text +=
            "\n"
            + table(
                [["namespace", "entries"]]
                    + summary.namespaces.map { [$0.name.isEmpty ? "(default)" : $0.name, "\($0.entries)"] })
        text += "\nschema version \(summary.schemaVersion); hit rates are counted by the running proxies\n"
        return text
    }

    private static func tierRow(_ name: String, _ tier: JSONValue) -> [String] {
        var evictions = ""
        if case .object(let members)? = tier["evictions"] {
            evictions = members.filter { ($0.value.intValue ?? 0) > 0 }.map { "\($0.key) \(int($0.value))" }
                .joined(separator: ", ")
        }
        return [
            name, int(tier["hits"]), int(tier["misses"]), percent(tier["hit_ratio"]), int(tier["entries"]),
            bytes(tier["bytes"]), evictions.isEmpty ? "-" : evictions,
        ]
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        let widths = rows.reduce(into: [Int]()) { widths, row in
            for (index, cell) in row.enumerated() {
                if index == widths.count { widths.append(0) }
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    private static func int(_ value: JSONValue?) -> String {
        guard case .number(let spelling)? = value else { return "-" }
        return spelling
    }

    private static func number(_ value: JSONValue?) -> String {
        guard case .number(let spelling)? = value, let number = Double(spelling) else { return "-" }
        let cents = (number * 100).rounded() / 100
        return number != 0 && cents == 0 ? spelling : "\(cents)"
    }

    private static func bytes(_ value: JSONValue?) -> String {
        guard let count = value?.intValue else { return "-" }
        return ByteCount.format(count)
    }

    private static func percent(_ value: JSONValue?) -> String {
        guard case .number(let spelling)? = value, let ratio = Double(spelling) else { return "-" }
        return "\((ratio * 1000).rounded() / 10) %"
    }
}
