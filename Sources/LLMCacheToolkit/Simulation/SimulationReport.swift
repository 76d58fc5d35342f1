import LLMCacheCore

/// Renders simulation results as a table or JSON lines (the output of `llmcache simulate`).
public enum SimulationReport {
    /// One JSON object: trace, policy, capacity, requests, hits, hit_ratio.
    public static func json(_ result: SimulationResult, trace: String) -> String {
        let ratio = (result.hitRatio * 1_000_000).rounded() / 1_000_000
        return """
            {"trace":"\(escape(trace))","policy":"\(result.policy.rawValue)","capacity":\(result.capacity),\
            "requests":\(result.requests),"hits":\(result.hits),"hit_ratio":\(ratio)}
            """
    }

    /// A table: one row per capacity, one column per policy, ratios in percent.
    public static func table(_ results: [SimulationResult], trace: Trace) -> String {
        let policies = results.reduce(into: [EvictionPolicy]()) { if !$0.contains($1.policy) { $0.append($1.policy) } }
        let capacities = results.reduce(into: [Int]()) { if !$0.contains($1.capacity) { $0.append($1.capacity) } }
        var lines = ["trace \(trace.name): \(trace.keys.count) requests, \(trace.uniqueKeyCount) distinct keys"]
        lines.append(pad("capacity", 10) + policies.map { pad($0.rawValue, 12) }.joined())
        for capacity in capacities {
            var line = pad(String(capacity), 10)
            for policy in policies {
                let result = results.first { $0.policy == policy && $0.capacity == capacity }!
                line += pad(percent(result.hitRatio), 12)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    private static func percent(_ ratio: Double) -> String {
        let hundredths = Int((ratio * 10_000).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) %"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private static func escape(_ text: String) -> String { JSONString.escaped(text) }
}
