import NIOCore

extension Flight {
    /// A flight's decisions, with no I/O: who waits for what, what arrived, and who must be told
    /// when something arrives. Waiters and subscribers are values of the owner's choosing —
    /// continuations in ``Flight``, plain values in tests — and every event returns what to do
    /// with them, which ``Flight`` does after unlocking (the AsyncHTTPClient pool's shape).
    ///
    /// A flight is `open` until it ends; the head arrives at most once while it is open. Late
    /// subscribers replay what was retained; once the answer is too large to retain
    /// (``stopRetaining()``), a new subscriber while the flight is open is refused.
    struct StateMachine<HeadWaiter, Subscriber, EndWaiter> {
        private enum Phase {
            case open(Open)
            case ended(head: Result<Head, ProxyError>, end: Result<Void, ProxyError>)
        }

        private struct Open {
            var head: Head?
            var headWaiters: [HeadWaiter] = []
            var subscribers: [Int: Subscriber] = [:]
            var endWaiters: [EndWaiter] = []
        }

        private var phase = Phase.open(Open())
        /// Everything received so far, for late subscribers and the complete body; nil once the
        /// answer grew too large to keep.
        private(set) var retained: [ByteBuffer]? = []
        private var nextSubscriber = 0

        init() {}

        // MARK: - Waiting (the requests)

        enum HeadAction {
            case resume(Head)
            case fail(ProxyError)
            /// Kept; resumed by ``receiveHead(_:)`` or failed by ``finish(_:)``.
            case wait
        }

        mutating func waitForHead(_ waiter: HeadWaiter) -> HeadAction {
            switch phase {
            case .ended(let head, _):
                switch head {
                case .success(let head): return .resume(head)
                case .failure(let error): return .fail(error)
                }
            case .open(var open):
                if let head = open.head { return .resume(head) }
                open.headWaiters.append(waiter)
                phase = .open(open)
                return .wait
            }
        }

        enum SubscribeAction {
            /// Send these chunks, then keep the subscriber (it is `id`) for the live rest.
            case replayThenFollow([ByteBuffer], id: Int)
            /// Send these chunks, then end the subscriber so.
            case replayThenEnd([ByteBuffer], Result<Void, ProxyError>)
            /// The start of the answer is gone (it was too large to retain).
            case refuse
        }

        mutating func subscribe(_ subscriber: Subscriber) -> SubscribeAction {
            switch phase {
            case .ended(_, let end):
                guard let retained else { return .refuse }
                return .replayThenEnd(retained, end)
            case .open(var open):
                guard let retained else { return .refuse }
                let id = nextSubscriber
                nextSubscriber += 1
                open.subscribers[id] = subscriber
                phase = .open(open)
                return .replayThenFollow(retained, id: id)
            }
        }

        /// The subscriber `id` went away.
        mutating func unsubscribe(_ id: Int) {
            guard case .open(var open) = phase else { return }
            open.subscribers[id] = nil
            phase = .open(open)
        }

        enum EndAction {
            /// The whole body (nil when it was too large to retain).
            case complete(ByteBuffer?)
            case fail(ProxyError)
            /// Kept; resumed by ``finish(_:)``.
            case wait
        }

        mutating func waitForEnd(_ waiter: EndWaiter) -> EndAction {
            switch phase {
            case .ended(_, .success): return .complete(retained.map(Self.joined))
            case .ended(_, .failure(let error)): return .fail(error)
            case .open(var open):
                open.endWaiters.append(waiter)
                phase = .open(open)
                return .wait
            }
        }

        // MARK: - Feeding (the fetch)

        /// The head arrived: resume these waiters with it.
        mutating func receiveHead(_ head: Head) -> [HeadWaiter] {
            guard case .open(var open) = phase, open.head == nil else {
                preconditionFailure("a flight's head arrives once, before it ends")
            }
            open.head = head
            let waiters = open.headWaiters
            open.headWaiters = []
            phase = .open(open)
            return waiters
        }

        /// A chunk arrived: send it to these subscribers.
        mutating func receive(_ chunk: ByteBuffer) -> [Subscriber] {
            guard case .open(let open) = phase else { preconditionFailure("a chunk after the flight ended") }
            retained?.append(chunk)
            return Array(open.subscribers.values)
        }

        /// Stops keeping chunks for late subscribers (the answer is too large to hold).
        mutating func stopRetaining() {
            retained = nil
        }

        struct FinishAction {
            /// Fail these head waiters with the error (only when the flight failed before its head).
            var failedHeadWaiters: [HeadWaiter] = []
            var error: ProxyError?
            /// End these subscribers with `end`.
            var subscribers: [Subscriber] = []
            /// Resume these with `body` (success) or `error`.
            var endWaiters: [EndWaiter] = []
            var body: ByteBuffer?
            var end: Result<Void, ProxyError>
        }

        /// The fetch ended (successfully or not). A second end is ignored.
        mutating func finish(_ end: Result<Void, ProxyError>) -> FinishAction {
            guard case .open(let open) = phase else { return FinishAction(end: end) }
            var action = FinishAction(end: end)
            let head: Result<Head, ProxyError>
            switch (open.head, end) {
            case (let received?, _): head = .success(received)
            case (nil, .failure(let error)):
                head = .failure(error)
                action.failedHeadWaiters = open.headWaiters
                action.error = error
            case (nil, .success):
                preconditionFailure("a flight cannot succeed without a head")
            }
            if case .failure(let error) = end { action.error = error }
            action.subscribers = Array(open.subscribers.values)
            action.endWaiters = open.endWaiters
            if case .success = end, !open.endWaiters.isEmpty { action.body = retained.map(Self.joined) }
            phase = .ended(head: head, end: end)
            return action
        }

        var isEnded: Bool {
            if case .ended = phase { return true }
            return false
        }

        static func joined(_ chunks: [ByteBuffer]) -> ByteBuffer {
            if chunks.count == 1 { return chunks[0] }
            var whole = ByteBuffer()
            whole.reserveCapacity(chunks.reduce(0) { $0 + $1.readableBytes })
            for var chunk in chunks { whole.writeBuffer(&chunk) }
            return whole
        }
    }
}
