import LLMCacheConfig

/// Where the admin API listens and who may use it.
public struct AdminConfiguration: Sendable {
    /// Loopback by default: the admin API can purge the cache and export every stored answer.
    public var host: String
    public var port: Int
    /// When set, every admin request but `/healthz` and `/readyz` must carry
    /// `Authorization: Bearer TOKEN`; others get 401 and nothing is touched.
    public var token: String?
    /// Listen on a non-loopback `host` without a token (see ``AdminExposure``).
    public var allowOpen: Bool

    public init(host: String = "127.0.0.1", port: Int = 8091, token: String? = nil, allowOpen: Bool = false) {
        self.host = host
        self.port = port
        self.token = token
        self.allowOpen = allowOpen
    }

    /// - Throws: ``AdminConfigurationError`` for a non-loopback address without a token (unless
    ///   `allowOpen`).
    public func validate() throws(AdminConfigurationError) {
        guard AdminExposure.permits(host: host, token: token, allowOpen: allowOpen) else {
            throw AdminConfigurationError(description: AdminExposure.message(host: host))
        }
    }
}

public struct AdminConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
}
