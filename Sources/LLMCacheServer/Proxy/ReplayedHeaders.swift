import HTTPTypes
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

    /// `name` lowercase.
    static func treatment(of name: String) -> Treatment {
        if renamed.contains(name) { return .rename(originalPrefix + name) }
        if dropped.contains(name) || HeaderField.unstorableNames.contains(name) { return .drop }
        if name == "ratelimit" || droppedPrefixes.contains(where: name.hasPrefix) { return .drop }
        return .keep
    }

    /// The fields a hit answers with: the stored headers as this table treats them, without
    /// hop-by-hop and framing headers (``ProxyHeaders/fields(_:)``). One pass, no lowercasing
    /// beyond what a field name does anyway.
    static func onHit(_ headers: [HeaderField]) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count)
        for header in headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            let lowercase = name.canonicalName
            if ProxyHeaders.notRelayed.contains(lowercase) { continue }
            switch treatment(of: lowercase) {
            case .keep: fields.append(HTTPField(name: name, value: header.value))
            case .drop: continue
            case .rename(let renamed):
                if let renamedName = HTTPField.Name(renamed) {
                    fields.append(HTTPField(name: renamedName, value: header.value))
                }
            }
        }
        return fields
    }
}
