import Hummingbird
import HummingbirdCore
import NIOCore

extension ListenerLimits {
    /// The HTTP/1 server with these limits: the idle timeout, the decoder's header limits, and a
    /// ``ConnectionGuard`` per connection counting against `connections`.
    /// `maximumBodyBytes`: a body announced larger with `Expect: 100-continue` is refused (413)
    /// before the client sends it.
    package func server(connections: ConnectionCount, maximumBodyBytes: Int) -> HTTPServerBuilder {
        let limit = maximumConnections
        let components = idleTimeout.components
        let idle = TimeAmount.nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [
                    ConnectionGuard(connections: connections, limit: limit, maximumBodyBytes: maximumBodyBytes)
                ],
                idleTimeout: idle,
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: maximumHeaderBytes, maxHeaderListSize: maximumHeaderBytes,
                    maxHeaderFieldCount: maximumHeaderCount)))
    }
}
