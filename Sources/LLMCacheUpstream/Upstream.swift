/// One upstream provider endpoint: where misses go.
public struct Upstream: Sendable, Hashable {
    /// A stable name; part of every cache key of routes it serves.
    public var id: String
    /// Scheme, host and port (and optional path prefix), e.g. `https://api.openai.com`.
    public var baseURL: String
    /// Which wire format and default ignore list applies.
    public var provider: Provider
    /// A credential to send instead of the client's (e.g. from the environment); `nil`: pass the
    /// client's through.
    public var credential: String?
    /// A plugin's upstream provider that carries requests instead of HTTP to `baseURL`; nil: HTTP.
    public var customProvider: String?

    public enum Provider: String, Sendable, Hashable, CaseIterable {
        case openAI = "openai"
        case anthropic
    }

    public init(
        id: String, baseURL: String, provider: Provider, credential: String? = nil, customProvider: String? = nil
    ) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.id = id
        self.baseURL = trimmed
        self.provider = provider
        self.credential = credential
        self.customProvider = customProvider
    }
}
