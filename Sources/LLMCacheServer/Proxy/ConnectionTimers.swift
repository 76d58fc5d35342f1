/// When a connection has waited too long for its client, as nginx times them: the request head
/// (`header_timeout`, from the connection's start), the gaps in a request body
/// (`body_timeout`), the idle time between requests (`keepalive_timeout`, from the end of the
/// last response until the next head), and a client that stops reading a response
/// (`send_timeout`, while the connection cannot take more). The body timer runs only while the
/// server has asked for more of the body (a read is pending) — never while the server itself
/// holds reads back (backpressure, or a response being made). While a request is being answered
/// and the client keeps reading, no timer runs: the upstream's timeouts govern that.
///
/// Pure: instants in, decisions out. ``ConnectionGuard`` feeds it channel events and keeps one
/// scheduled check at ``nextCheck``; a check that finds the deadline moved reschedules.
struct ConnectionTimers<Instant: InstantProtocol> where Instant.Duration == Duration {
    struct Limits: Equatable {
        var header: Duration
        var body: Duration
        var keepAlive: Duration
        var send: Duration
    }

    /// Which wait ran out.
    enum Reason: String, Equatable {
        case header = "header_timeout"
        case body = "body_timeout"
        case keepAlive = "keepalive_timeout"
        case send = "send_timeout"
    }

    let limits: Limits
    /// The last sign of life the running wait counts from.
    private var since: Instant
    private var requestsInProgress = 0
    private var readingRequest = false
    /// The server has asked for more input and none has come yet.
    private var readPending = false
    private var answered = 0
    /// Since when the connection could take no more output (nil: it can).
    private var blockedSince: Instant?

    init(limits: Limits, openedAt now: Instant) {
        self.limits = limits
        self.since = now
    }

    /// A request head arrived.
    mutating func readHead(at now: Instant) {
        since = now
        readPending = false
        readingRequest = true
        requestsInProgress += 1
    }

    /// A piece of a request body arrived.
    mutating func readBody(at now: Instant) {
        since = now
        readPending = false
    }

    /// A request ended.
    mutating func readEnd(at now: Instant) {
        since = now
        readPending = false
        readingRequest = false
    }

    /// The server asked for more input. Within a request body the body timer counts from here
    /// (or from the last piece, if the request came right after it).
    mutating func readRequested(at now: Instant) {
        guard !readPending else { return }
        readPending = true
        if readingRequest { since = max(since, now) }
    }

    /// A response ended.
    mutating func wroteEnd(at now: Instant) {
        requestsInProgress = max(0, requestsInProgress - 1)
        answered += 1
        if requestsInProgress == 0 { since = now }
    }

    /// The connection's output filled (false) or drained (true).
    mutating func writable(_ writable: Bool, at now: Instant) {
        if writable {
            blockedSince = nil
        } else if blockedSince == nil {
            blockedSince = now
        }
    }

    /// The wait that runs now and when it ends; nil when none runs.
    var nextCheck: (deadline: Instant, reason: Reason)? {
        var next: (deadline: Instant, reason: Reason)?
        if readingRequest {
            if readPending { next = (since.advanced(by: limits.body), .body) }
        } else if requestsInProgress == 0 {
            next =
                answered == 0
                ? (since.advanced(by: limits.header), .header) : (since.advanced(by: limits.keepAlive), .keepAlive)
        }
        if let blockedSince {
            let send = blockedSince.advanced(by: limits.send)
            if next == nil || send < next!.deadline { next = (send, .send) }
        }
        return next
    }

    /// The wait that has run out at `now`, if one has.
    func expired(at now: Instant) -> Reason? {
        guard let next = nextCheck, now >= next.deadline else { return nil }
        return next.reason
    }
}
