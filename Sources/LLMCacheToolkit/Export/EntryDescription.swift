import LLMCacheCore
import LLMCacheStore

/// `llmcache inspect`: an entry for people to read.
public enum EntryDescription {
    public static func text(key: CacheKey, entry: CacheEntry, tiers: [String], now: Timestamp, bodyLimit: Int?)
        -> String
    {
        var out = "key        \(key.hex)\n"
        out += "tiers      \(tiers.joined(separator: ", "))\n"
        out += "namespace  \(entry.namespace.isEmpty ? "(none)" : entry.namespace)\n"
        out += "stored     \(entry.createdAt.iso8601)\n"
        out +=
            "expires    \(entry.expiresAt.map { $0.iso8601 + (entry.isExpired(at: now) ? " (expired)" : "") } ?? "never")\n"
        out += "recipe     version \(entry.recipeVersion)"
        if let recipe = entry.keyRecipe {
            out +=
                recipe.key == key ? ", key matches the request" : ", KEY DOES NOT MATCH THE REQUEST (\(recipe.key.hex))"
        }
        out += "\n"
        if let request = entry.request {
            out +=
                "request    \(request.method) \(request.path) → upstream \(request.upstream), model \(request.model.isEmpty ? "(none)" : request.model)\n"
            out += "tenant     \(request.tenant.isEmpty ? "shared across credentials" : "scoped to one credential")\n"
            for header in request.headers { out += "  \(header.name): \(header.value)\n" }
        } else {
            out += "request    (not recorded: stored before record format 2)\n"
        }
        out += "canonical request:\n  \(String(decoding: entry.canonicalRequest.readableBytesView, as: UTF8.self))\n"
        out += "response   \(entry.status)"
        if case .stream(let chunks) = entry.bodyKind {
            let total = chunks.reduce(0) { $0 + UInt64($1.delayMicroseconds) }
            out += ", stream of \(chunks.count) chunks over \(total / 1000) ms"
        }
        out += ", \(entry.body.readableBytes) bytes\n"
        for header in entry.headers { out += "  \(header.name): \(header.value)\n" }
        let body = Array(entry.body.readableBytesView)
        let shown = bodyLimit.map { Array(body.prefix($0)) } ?? body
        out += "body:\n" + String(decoding: shown, as: UTF8.self)
        if shown.count < body.count { out += "\n… (\(body.count - shown.count) more bytes; --full shows all)" }
        return out + "\n"
    }
}
