/// Where the admin API listens and who may use it.
public struct AdminConfiguration: Sendable {
    /// Loopback by default: the admin API can purge the cache and export every stored answer.
    public var host: String
    public var port: Int
    /// When set, every admin request but `/healthz` and `/readyz` must carry
    /// `Authorization: Bearer TOKEN`; others get 401 and nothing is touched.
    public var token: String?

    public init(host: String = "127.0.0.1", port: Int = 8091, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }
}
