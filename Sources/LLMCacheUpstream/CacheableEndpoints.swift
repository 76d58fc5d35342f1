/// The endpoints whose answers may be cached, per provider: an exact list of pure functions of
/// the request (generation, embeddings, moderation, token counting). Everything else — batches,
/// files, uploads, fine-tuning, assistants and threads, vector stores, stored-object reads and
/// updates (`/v1/chat/completions/{id}`, `/v1/responses/{id}/cancel`), anything new — creates or
/// reads state upstream and passes through uncached, whatever route it arrives on.
public enum CacheableEndpoints {
    /// Endpoint paths below the API version (`/v1`), per provider.
    public static func paths(_ provider: Upstream.Provider) -> [String] {
        switch provider {
        case .openAI: ["chat/completions", "completions", "embeddings", "responses", "moderations"]
        case .anthropic: ["messages", "messages/count_tokens", "complete"]
        }
    }

    /// Whether a `method` request for `path` (no query) on a route with `prefix` is one of the
    /// provider's cacheable endpoints: a POST whose path ends in a listed endpoint, right after
    /// an API version segment (`/v1/…`, `/openai/v1/…`) or right after the route's own prefix
    /// (`/openai/deployments/gpt4` + `/chat/completions`), and nothing after it.
    public static func contains(
        method: String, path: String, provider: Upstream.Provider, routePrefix: String
    ) -> Bool {
        guard method == "POST" else { return false }
        // The common case, without string work: the standard `/v1/…` paths.
        if standardPaths(provider).contains(path) { return true }
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        var prefix = Substring(routePrefix)
        while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        for endpoint in paths(provider) {
            guard path.hasSuffix("/" + endpoint) else { continue }
            let head = path.dropLast(endpoint.count + 1)
            if head == prefix || isVersion(head.split(separator: "/").last ?? "") { return true }
        }
        return false
    }

    private static let openAIStandard = Set(paths(.openAI).map { "/v1/" + $0 })
    private static let anthropicStandard = Set(paths(.anthropic).map { "/v1/" + $0 })

    private static func standardPaths(_ provider: Upstream.Provider) -> Set<String> {
        provider == .openAI ? openAIStandard : anthropicStandard
    }

    /// `v1`, `v2`, `v1beta`, `v1alpha1`…
    static func isVersion(_ segment: Substring) -> Bool {
        guard segment.first == "v", segment.count >= 2 else { return false }
        let rest = segment.dropFirst()
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return false }
        let suffix = rest.dropFirst(digits.count)
        return suffix.isEmpty || suffix.hasPrefix("alpha") || suffix.hasPrefix("beta")
    }
}
