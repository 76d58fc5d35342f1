import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// Connections a listener holds now, shared by its ``ConnectionGuard``s.
package final class ConnectionCount: Sendable {
    private let count = Atomic<Int>(0)

    package init() {}

    package var current: Int { count.load(ordering: .relaxed) }

    /// Takes a place; false (and nothing taken) when `limit` are taken.
    func take(limit: Int) -> Bool {
        let now = count.add(1, ordering: .relaxed).newValue
        if now <= limit { return true }
        count.subtract(1, ordering: .relaxed)
        return false
    }

    func give() { count.subtract(1, ordering: .relaxed) }
}

/// One per connection, right after the HTTP decoder: refuses a connection beyond the listener's
/// limit at once (503, closed — never held open), and answers what the decoder could not parse
/// with the JSON error shape instead of an empty 400: a header section over the limits is 431,
/// other broken framing (a bad request line) 400. An error once a request has been read on the
/// connection is left to the request (its body read fails: 400) or to Hummingbird, since a
/// response may be under way. It answers `Expect: 100-continue` (RFC 9110 §10.1.1): `100
/// Continue`, or at once a final `413` when the announced body is over the limit (the client
/// then never sends it); any other expectation is `417`. It times the connection's waits for
/// its client (``ConnectionTimers``: header, body, keep-alive and send timeouts) and closes it
/// when one runs out. On the hit path it costs one pipeline hop each way, a look at each part
/// and a clock read per event; its one scheduled check fires about once per timeout period.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    typealias Timers = ConnectionTimers<ContinuousClock.Instant>

    private let connections: ConnectionCount
    private let limit: Int
    private let maximumBodyBytes: Int
    private var counted = false
    private var refused = false
    private var sawRequest = false
    private var timers: Timers
    private var check: Scheduled<Void>?
    private var checkAt: ContinuousClock.Instant?
    private var context: ChannelHandlerContext?

    init(connections: ConnectionCount, limit: Int, maximumBodyBytes: Int, timeouts: Timers.Limits) {
        self.connections = connections
        self.limit = limit
        self.maximumBodyBytes = maximumBodyBytes
        self.timers = Timers(limits: timeouts, openedAt: .now)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if connections.take(limit: limit) {
            counted = true
            arm(context)
            return
        }
        refuse(
            context,
            ProxyError(
                status: .serviceUnavailable, type: "too_many_connections",
                message: "the proxy serves \(limit) connections at once; try again shortly"))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        check?.cancel()
        check = nil
        if counted {
            counted = false
            connections.give()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        sawRequest = true
        let part = unwrapInboundIn(data)
        switch part {
        case .head: timers.readHead(at: .now)
        case .body: timers.readBody(at: .now)
        case .end: timers.readEnd(at: .now)
        }
        arm(context)
        if case .head(let head) = part, let expectation = head.headerFields[.expect] {
            guard expectation.lowercased() == "100-continue" else {
                refuse(
                    context,
                    ProxyError(
                        status: .expectationFailed, type: "expectation_failed",
                        message: "only Expect: 100-continue is supported"))
                return
            }
            if let length = head.headerFields[.contentLength].flatMap({ Int($0) }), length > maximumBodyBytes {
                refuse(
                    context,
                    ProxyError(
                        status: .contentTooLarge, type: "request_too_large",
                        message: "request body exceeds \(maximumBodyBytes) bytes"))
                return
            }
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }

    /// An answer was written below this handler (the lean path writes its bytes under the HTTP
    /// encoder): what an `.end` passing through ``write(context:data:promise:)`` does.
    func answeredBelow() {
        timers.wroteEnd(at: .now)
        if let context { arm(context) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            timers.wroteEnd(at: .now)
            arm(context)
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        timers.readRequested(at: .now)
        arm(context)
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        timers.writable(context.channel.isWritable, at: .now)
        arm(context)
        context.fireChannelWritabilityChanged()
    }

    /// Keeps one check scheduled at the earliest deadline that may run out.
    private func arm(_ context: ChannelHandlerContext) {
        guard let next = timers.nextCheck else { return }
        if let checkAt, checkAt <= next.deadline { return }
        check?.cancel()
        checkAt = next.deadline
        check = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(
            in: TimeAmount(max(.zero, next.deadline - .now))
        ) { [self] in
            check = nil
            checkAt = nil
            if timers.expired(at: .now) != nil {
                context.close(promise: nil)
            } else {
                arm(context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError, !sawRequest, !refused else {
            context.fireErrorCaught(error)
            return
        }
        if parseError == .headerOverflow {
            refuse(
                context,
                ProxyError(
                    status: .requestHeaderFieldsTooLarge, type: "request_headers_too_large",
                    message: "the request's headers exceed the proxy's limits (size or count)"))
        } else {
            refuse(
                context,
                ProxyError(
                    status: .badRequest, type: "malformed_request", message: "malformed HTTP request: \(parseError)"))
        }
    }

    /// Writes `error` as a whole response, closes the connection and reads nothing more from it.
    private func refuse(_ context: ChannelHandlerContext, _ error: ProxyError) {
        refused = true
        let body = ByteBuffer(bytes: error.jsonBody)
        let head = HTTPResponse(
            status: error.status,
            headerFields: [
                .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
