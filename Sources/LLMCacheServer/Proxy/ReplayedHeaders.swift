import LLMCacheCore

/// What a hit does with each stored response header. The stored entry keeps every header as the
/// upstream sent it (recordings stay faithful); this table applies when an entry answers a new
/// request, so nothing describing the *original call* passes for a fact about this one.
///
/// | header | on a hit | why |
/// |---|---|---|
/// | `x-request-id`, `request-id`, `openai-processing-ms`, `cf-ray`, `x-envoy-upstream-service-time` | renamed `x-llmcache-original-NAME` | they identify or time the original call: kept for support tickets, never mistaken for this call's |
/// | `x-ratelimit-*`, `anthropic-ratelimit-*`, `ratelimit-*`, `retry-after` | dropped | a hit spends no provider budget; another moment's numbers would mislead client-side rate limiters |
/// | `date` | dropped (the proxy's own `Date`, and `age`, are sent) | the answer is served now |
/// | `alt-svc`, `set-cookie` and credentials | dropped (cookies and credentials are never stored) | they speak for the provider's origin, not the proxy's |
/// | everything else (`content-type`, `openai-organization`, `openai-version`, …) | kept | facts about the answer or the account |
enum ReplayedHeaders {
    enum Treatment: Equatable {
        case keep
        case drop
        case rename(String)
    }

    static let originalPrefix = "x-llmcache-original-"
    static let renamed: Set<String> = [
        "x-request-id", "request-id", "openai-processing-ms", "cf-ray", "x-envoy-upstream-service-time",
    ]
    static let dropped: Set<String> = ["date", "retry-after", "alt-svc"]
    static let droppedPrefixes = ["x-ratelimit-", "anthropic-ratelimit-", "ratelimit-"]

    static func treatment(of name: String) -> Treatment {
        let name = name.lowercased()
        if renamed.contains(name) { return .rename(originalPrefix + name) }
        if dropped.contains(name) || !HeaderField(name: name, value: "").isStorable { return .drop }
        if name == "ratelimit" || droppedPrefixes.contains(where: name.hasPrefix) { return .drop }
        return .keep
    }

    /// The headers a hit answers with.
    static func onHit(_ headers: [HeaderField]) -> [HeaderField] {
        headers.compactMap { header in
            switch treatment(of: header.name) {
            case .keep: header
            case .drop: nil
            case .rename(let name): HeaderField(name: name, value: header.value)
            }
        }
    }
}
