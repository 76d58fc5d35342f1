import HTTPTypes
import Hummingbird
import LLMCacheCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// What the memory-hit path shares between connections: the runtime and services the full
/// pipeline reads, and the `Date` and `Server` headers Hummingbird would add.
struct LeanHitPath: Sendable {
    let runtime: ProxyRuntime
    let services: ProxyServices
    let logger: Logger
    let serverName: String
    let dates = HTTPDateCache()

    /// The hit that answers `head` with `body` (the request's time counted from `started`), its
    /// `Date` and `Server` headers in; nil: the full pipeline answers.
    func answer(_ head: HTTPRequest, body: ByteBuffer, started: ContinuousClock.Instant) -> ProxyPipeline.LeanHit? {
        let pipeline = ProxyPipeline(services: services, state: runtime.current)
        guard var hit = pipeline.leanHit(head, body: body, logger: logger) else { return nil }
        hit.head.headerFields[.date] = dates.now
        hit.head.headerFields[.server] = serverName
        services.metrics.requestFinished(status: .hit, nanoseconds: started.nanosecondsElapsed, fast: true)
        return hit
    }
}

/// One per connection, after the ``ConnectionGuard``: answers a memory-tier hit on the event loop
/// — no task, no async writer, one flush — and hands every other request, part for part, to
/// Hummingbird and the full pipeline (``ProxyResponder``), which then decides it exactly as it
/// would have without this handler.
///
/// A `POST` is held until its body has ended (up to the body limit), then asked of
/// ``ProxyPipeline/leanHit(_:body:logger:)``. Answers stay in request order: once a request has
/// been handed on, every later one is handed on too until the answers to all of them have been
/// written (pipelined requests are never answered out of turn). A client that does not read its
/// answers (the channel is not writable) gets the full pipeline, whose writer waits for it; any
/// event or error while a request is held (the client half-closing, a quiesce on shutdown, broken
/// framing) hands the request on first, so the full pipeline and Hummingbird's connection
/// handling see everything as they did without this handler.
final class LeanHitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// No request held, none handed on and unanswered.
        case idle
        /// A request that may be a hit, its body so far, and when it arrived.
        case holding(HTTPRequest, ByteBuffer, ContinuousClock.Instant)
        /// Handing every part on until the answers owed have been written.
        case handingOn
    }

    private let path: LeanHitPath
    private let maximumBodyBytes: Int
    /// Told of every answer written here, as it would see its `.end` (its timers).
    private let connectionGuard: ConnectionGuard
    /// Where an answer's bytes are written: the HTTP encoder's context, so they go to the
    /// socket as they are (nil in a pipeline without NIO's encoder: then nothing is answered
    /// here, every request is handed on).
    private var wire: ChannelHandlerContext?
    private var state = State.idle
    /// Requests handed on whose answers have not ended yet.
    private var answersOwed = 0
    /// A handed-on request whose `.end` has not been read yet.
    private var handingOnRequest = false

    init(path: LeanHitPath, maximumBodyBytes: Int, connectionGuard: ConnectionGuard) {
        self.path = path
        self.maximumBodyBytes = maximumBodyBytes
        self.connectionGuard = connectionGuard
    }

    func handlerAdded(context: ChannelHandlerContext) {
        wire = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        wire = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .idle:
            if wire != nil, case .head(let head) = part, Self.mayHit(head) {
                state = .holding(head, context.channel.allocator.buffer(capacity: 0), .now)
            } else {
                handOn(context, part)
            }
        case .holding(let head, var body, let started):
            state = .idle  // the buffer is uniquely referenced while it grows
            switch part {
            case .head:
                // Cannot happen (the decoder ends a request before the next head); hand on both.
                handOnHeld(context, head, body)
                handOn(context, part)
            case .body(var chunk):
                if body.readableBytes + chunk.readableBytes > maximumBodyBytes {
                    handOnHeld(context, head, body)
                    handOn(context, part)
                } else {
                    if body.readableBytes == 0 { body = chunk } else { body.writeBuffer(&chunk) }
                    state = .holding(head, body, started)
                }
            case .end:
                if context.channel.isWritable, let wire, let hit = path.answer(head, body: body, started: started) {
                    write(hit, to: wire)
                } else {
                    handOnHeld(context, head, body)
                    handOn(context, part)
                }
            }
        case .handingOn:
            handOn(context, part)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), answersOwed > 0 {
            answersOwed -= 1
            settle()
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .holding(let head, let body, _) = state {
            handOnHeld(context, head, body)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A decoding error (broken framing in the body) reaches the full pipeline with its request,
    /// which answers it in the JSON error shape.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .holding(let head, let body, _) = state {
            handOnHeld(context, head, body)
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .holding = state { state = .idle }
        context.fireChannelInactive()
    }

    /// A request the lean path may answer: a `POST` on a connection that stays open (a `close`
    /// is Hummingbird's to honour).
    private static func mayHit(_ head: HTTPRequest) -> Bool {
        guard head.method == .post else { return false }
        guard let connection = head.headerFields[.connection] else { return true }
        return !connection.lowercased().contains("close")
    }

    /// Writes `hit`'s bytes from the encoder's context `wire` (straight to the socket) and tells
    /// the guard the answer ended.
    private func write(_ hit: ProxyPipeline.LeanHit, to wire: ChannelHandlerContext) {
        var buffer = wire.channel.allocator.buffer(capacity: LeanHitWire.estimatedSize(hit))
        LeanHitWire.write(hit, to: &buffer)
        wire.writeAndFlush(NIOAny(IOData.byteBuffer(buffer)), promise: nil)
        connectionGuard.answeredBelow()
    }

    /// Hands on a held request's head and body so far.
    private func handOnHeld(_ context: ChannelHandlerContext, _ head: HTTPRequest, _ body: ByteBuffer) {
        handOn(context, .head(head))
        if body.readableBytes > 0 { handOn(context, .body(body)) }
    }

    private func handOn(_ context: ChannelHandlerContext, _ part: HTTPRequestPart) {
        switch part {
        case .head:
            answersOwed += 1
            handingOnRequest = true
            state = .handingOn
        case .body: break
        case .end:
            handingOnRequest = false
            settle()
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// Back to idle once nothing handed on is owed an answer.
    private func settle() {
        if case .handingOn = state, answersOwed == 0, !handingOnRequest { state = .idle }
    }
}
