import Hummingbird
import HummingbirdCore
import NIOCore

extension ListenerLimits {
    /// The HTTP/1 server with these limits: the decoder's header limits, and a
    /// ``ConnectionGuard`` per connection counting against `connections` and timing its waits
    /// (Hummingbird's single idle timer is off).
    /// `maximumBodyBytes`: a body announced larger with `Expect: 100-continue` is refused (413)
    /// before the client sends it.
    /// `leanHits`: answer memory-tier hits on the event loop (``LeanHitHandler``).
    func server(connections: ConnectionCount, maximumBodyBytes: Int, leanHits: LeanHitPath?)
        -> HTTPServerBuilder
    {
        let limit = maximumConnections
        let timeouts = ConnectionGuard.Timers.Limits(
            header: headerTimeout, body: bodyTimeout, keepAlive: keepAliveTimeout, send: sendTimeout)
        return .http1(
            configuration: .init(
                additionalChannelHandlers: Self.handlers(
                    connections: connections, limit: limit, maximumBodyBytes: maximumBodyBytes, timeouts: timeouts,
                    leanHits: leanHits),
                idleTimeout: nil,
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: maximumHeaderBytes, maxHeaderListSize: maximumHeaderBytes,
                    maxHeaderFieldCount: maximumHeaderCount)))
    }
}

extension ListenerLimits {
    /// A new connection's handlers: its guard, then (with `leanHits`) the lean path, which tells
    /// the guard of the answers it writes.
    private static func handlers(
        connections: ConnectionCount, limit: Int, maximumBodyBytes: Int, timeouts: ConnectionGuard.Timers.Limits,
        leanHits: LeanHitPath?
    ) -> [any RemovableChannelHandler] {
        let connectionGuard = ConnectionGuard(
            connections: connections, limit: limit, maximumBodyBytes: maximumBodyBytes, timeouts: timeouts)
        guard let leanHits else { return [connectionGuard] }
        return [
            connectionGuard,
            LeanHitHandler(path: leanHits, maximumBodyBytes: maximumBodyBytes, connectionGuard: connectionGuard),
        ]
    }

    /// The HTTP/1 server with these limits and no lean path (the admin listener).
    package func server(connections: ConnectionCount, maximumBodyBytes: Int) -> HTTPServerBuilder {
        server(connections: connections, maximumBodyBytes: maximumBodyBytes, leanHits: nil)
    }
}
