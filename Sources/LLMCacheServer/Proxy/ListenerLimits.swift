/// What a listener allows a connection (nginx-like defaults; `listen.*` in the configuration).
public struct ListenerLimits: Sendable, Equatable {
    /// A connection that sends nothing for this long — a request head or body that stalls, or
    /// an idle keep-alive connection — is closed.
    public var idleTimeout: Duration
    /// The largest request header section: each field, and all together. Larger: 431.
    public var maximumHeaderBytes: Int
    /// The most request header fields. More: 431.
    public var maximumHeaderCount: Int
    /// Connections served at once; beyond it a new one is answered 503 and closed at once.
    public var maximumConnections: Int
    /// How long a graceful shutdown waits for requests in progress before cancelling them.
    public var shutdownTimeout: Duration

    public init(
        idleTimeout: Duration = .seconds(60), maximumHeaderBytes: Int = 32 << 10, maximumHeaderCount: Int = 100,
        maximumConnections: Int = 4_096, shutdownTimeout: Duration = .seconds(30)
    ) {
        self.idleTimeout = idleTimeout
        self.maximumHeaderBytes = maximumHeaderBytes
        self.maximumHeaderCount = maximumHeaderCount
        self.maximumConnections = maximumConnections
        self.shutdownTimeout = shutdownTimeout
    }
}
