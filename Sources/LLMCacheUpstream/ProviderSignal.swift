import LLMCacheCore

/// Which provider a request's credential and headers belong to, so a credential only ever goes to
/// its own provider. Anthropic: an `anthropic-version` or `anthropic-beta` header, a `sk-ant-`
/// token, or an `x-api-key` without `Authorization`. OpenAI: an `openai-organization`,
/// `openai-project` or `openai-beta` header, or another `sk-` token. Nil: no signal (a
/// self-hosted server's token, or no credential) — the path alone decides.
public enum ProviderSignal {
    /// `headers` with lowercase names. Inlinable: specialized in the caller's module.
    @inlinable
    public static func provider(of headers: some Sequence<(name: String, value: String)>) -> Upstream.Provider? {
        var anthropicHeader = false
        var openAIHeader = false
        var authorization: String?
        var apiKey = false
        for (name, value) in headers {
            switch name {
            case "anthropic-version", "anthropic-beta": anthropicHeader = true
            case "openai-organization", "openai-project", "openai-beta": openAIHeader = true
            case "authorization": authorization = authorization ?? value
            case "x-api-key": apiKey = true
            default: break
            }
        }
        return provider(
            authorization: authorization, hasAPIKey: apiKey, anthropicHeader: anthropicHeader,
            openAIHeader: openAIHeader)
    }

    /// The decision, from what the headers hold: the first `Authorization` value, whether an
    /// `x-api-key` is there, whether an Anthropic or OpenAI header is (not generic: the proxy
    /// calls it on every request).
    public static func provider(
        authorization: String?, hasAPIKey: Bool, anthropicHeader: Bool, openAIHeader: Bool
    ) -> Upstream.Provider? {
        let token = authorization.map(TenantScope.token) ?? ""
        if anthropicHeader || token.hasPrefix("sk-ant-") || (hasAPIKey && authorization == nil) { return .anthropic }
        if openAIHeader || token.hasPrefix("sk-") { return .openAI }
        return nil
    }

}
