/// What a listener allows a connection (nginx-like defaults; `listen.*` in the configuration).
public struct ListenerLimits: Sendable, Equatable {
    /// A new connection must have sent its request head within this (nginx
    /// `client_header_timeout`).
    public var headerTimeout: Duration
    /// A request body must not pause longer than this between two reads (nginx
    /// `client_body_timeout`).
    public var bodyTimeout: Duration
    /// A connection idle between requests — from the end of a response until the next request's
    /// head has arrived — is closed after this (nginx `keepalive_timeout`).
    public var keepAliveTimeout: Duration
    /// A client that takes nothing of a response for this long (the connection's output full)
    /// is disconnected (nginx `send_timeout`).
    public var sendTimeout: Duration
    /// The largest request header section: each field, and all together. Larger: 431.
    public var maximumHeaderBytes: Int
    /// The most request header fields. More: 431.
    public var maximumHeaderCount: Int
    /// Connections served at once; beyond it a new one is answered 503 and closed at once.
    public var maximumConnections: Int
    /// How long a graceful shutdown waits for requests in progress before cancelling them.
    public var shutdownTimeout: Duration

    public init(
        headerTimeout: Duration = .seconds(60), bodyTimeout: Duration = .seconds(60),
        keepAliveTimeout: Duration = .seconds(75), sendTimeout: Duration = .seconds(60),
        maximumHeaderBytes: Int = 32 << 10, maximumHeaderCount: Int = 100,
        maximumConnections: Int = 4_096, shutdownTimeout: Duration = .seconds(30)
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.keepAliveTimeout = keepAliveTimeout
        self.sendTimeout = sendTimeout
        self.maximumHeaderBytes = maximumHeaderBytes
        self.maximumHeaderCount = maximumHeaderCount
        self.maximumConnections = maximumConnections
        self.shutdownTimeout = shutdownTimeout
    }

    /// Sets the header, body and keep-alive timeouts at once (`listen.idle_timeout`).
    public mutating func setIdleTimeouts(_ timeout: Duration) {
        headerTimeout = timeout
        bodyTimeout = timeout
        keepAliveTimeout = timeout
    }
}
