import LLMCacheCore

/// `llmcache stats --watch`: one frame of the live view — what happened since the previous
/// `/stats` (rates, the hit ratio of those seconds), then the table of totals, then the recent
/// misses when the admin API sent them. The loop and the screen belong to the command.
public enum StatsWatch {
    /// The frame for `current`, `seconds` after `previous` (nil: the first frame, totals only);
    /// `every`: the refresh period the header names.
    public static func frame(
        previous: JSONValue?, current: JSONValue, seconds: Double, every: Double, source: String
    ) throws -> String {
        var text = "llmcache \(source) — every \(format(every)) s, Ctrl-C to stop\n\n"
        if let previous, seconds > 0 {
            text += interval(previous, current, seconds: seconds) + "\n"
        } else {
            text += "last interval     (after the next refresh)\n\n"
        }
        text += try StatsTable.render(stats: current)
        if case .array(let misses)? = current["recent_misses"], !misses.isEmpty {
            text += "\nrecent misses (newest first)\n"
            for miss in misses.prefix(5) {
                let route = "\(miss["method"]?.stringValue ?? "") \(miss["path"]?.stringValue ?? "")"
                text += "  \(miss["time"]?.stringValue ?? "")  \(route)  \(miss["model"]?.stringValue ?? "")\n"
                text += "    \(miss["explanation"]?.stringValue ?? "not explained yet")\n"
            }
        }
        return text
    }

    /// Rates over the interval. A counter that went down (stats reset, a restart) counts from 0.
    static func interval(_ previous: JSONValue, _ current: JSONValue, seconds: Double) -> String {
        func delta(_ path: [String]) -> Int {
            let new = value(current, path) ?? 0
            let old = value(previous, path) ?? 0
            return new >= old ? new - old : new
        }
        var parts: [String] = []
        if case .object(let statuses)? = current["requests"] {
            for member in statuses {
                let count = delta(["requests", member.key])
                if count > 0 { parts.append("\(member.key) \(format(Double(count) / seconds))/s") }
            }
        }
        var label = "last \(format(seconds)) s"
        label += String(repeating: " ", count: max(1, 18 - label.count))
        var text = label + (parts.isEmpty ? "no requests" : parts.joined(separator: ", "))
        var hits = 0
        if case .object(let tiers)? = current["tiers"] {
            for tier in tiers { hits += delta(["tiers", tier.key, "hits"]) }
        }
        let lookups = delta(["tiers", "memory", "hits"]) + delta(["tiers", "memory", "misses"])
        text +=
            "\n                  hit rate "
            + (lookups == 0 ? "– (no lookups)" : percent(Double(hits) / Double(lookups)))
        text += ", upstream \(format(Double(delta(["upstream", "requests"])) / seconds))/s"
        text += ", saved \(delta(["saved", "input_tokens"]) + delta(["saved", "output_tokens"])) tokens\n"
        return text
    }

    private static func value(_ document: JSONValue, _ path: [String]) -> Int? {
        var node: JSONValue? = document
        for key in path { node = node?[key] }
        return node?.intValue
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private static func percent(_ ratio: Double) -> String {
        let tenths = (ratio * 1000).rounded() / 10
        return "\(tenths) %"
    }
}
