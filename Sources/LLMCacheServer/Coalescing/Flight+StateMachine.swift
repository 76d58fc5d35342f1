import NIOCore

extension Flight {
    /// A flight's decisions, with no I/O: who waits for what, what arrived, and who must be told
    /// when something arrives. Waiters and subscribers are values of the owner's choosing —
    /// continuations in ``Flight``, plain values in tests — and every event returns what to do
    /// with them, which ``Flight`` does after unlocking (the AsyncHTTPClient pool's shape).
    ///
    /// A flight is `open` until it ends; the head arrives at most once while it is open. Late
    /// subscribers replay what was retained; once a chunk has gone by that was not retained
    /// (``stopRetaining()``: the answer is too large to hold), a new subscriber is refused.
    ///
    /// Backpressure: each subscriber's *unread* bytes (handed to it, not yet taken) are counted.
    /// While the answer is retained they cost nothing extra (the subscribers share the retained
    /// chunks) and the fetch never waits; once it is not, the fetch waits for room
    /// (``waitForRoom(_:)``) until every subscriber has at most `relayBytes` unread — so a slow
    /// client slows the upstream read instead of filling memory — and stops when no one is left.
    /// What the fetch may do next.
    enum Room: Sendable, Equatable {
        /// Read on.
        case proceed
        /// Nothing is retained and no one is listening: stop reading.
        case abandon
    }

    struct StateMachine<HeadWaiter, Subscriber, EndWaiter, RoomWaiter> {
        private enum Phase {
            case open(Open)
            case ended(head: Result<Head, ProxyError>, end: Result<Void, ProxyError>)
        }

        private struct Open {
            var head: Head?
            var headWaiters: [HeadWaiter] = []
            var subscribers: [Int: Subscription] = [:]
            var endWaiters: [EndWaiter] = []
            var roomWaiter: RoomWaiter?
        }

        private struct Subscription {
            var subscriber: Subscriber
            var unread = 0
        }

        /// What a subscriber may hold unread before the fetch waits (once nothing is retained).
        let relayBytes: Int

        private var phase = Phase.open(Open())
        /// Everything received so far, for late subscribers and the complete body; nil once the
        /// answer grew too large to keep.
        private(set) var retained: [ByteBuffer]? = []
        /// A chunk went by without being retained: a new subscriber would miss it.
        private var dropped = false
        private var nextSubscriber = 0

        /// `retaining: false`: nothing is kept from the start (a relay nobody else may join;
        /// subscribe before the first chunk).
        init(relayBytes: Int = 1 << 20, retaining: Bool = true) {
            self.relayBytes = relayBytes
            if !retaining { retained = nil }
        }

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
                guard !dropped else { return .refuse }
                return .replayThenEnd(retained ?? [], end)
            case .open(var open):
                guard !dropped else { return .refuse }
                let retained = retained ?? []
                let id = nextSubscriber
                nextSubscriber += 1
                open.subscribers[id] = Subscription(
                    subscriber: subscriber, unread: retained.reduce(0) { $0 + $1.readableBytes })
                phase = .open(open)
                return .replayThenFollow(retained, id: id)
            }
        }

        /// The subscriber `id` went away: the waiting fetch to resume, and with what, if it now
        /// may go on.
        mutating func unsubscribe(_ id: Int) -> (RoomWaiter, Room)? {
            guard case .open(var open) = phase else { return nil }
            open.subscribers[id] = nil
            let resumed = Self.release(&open, retaining: retained != nil, relayBytes: relayBytes)
            phase = .open(open)
            return resumed
        }

        /// The subscriber `id` took `bytes` of what it was handed: the waiting fetch to resume,
        /// if it now may go on.
        mutating func taken(_ id: Int, bytes: Int) -> (RoomWaiter, Room)? {
            guard case .open(var open) = phase, open.subscribers[id] != nil else { return nil }
            open.subscribers[id]!.unread -= bytes
            let resumed = Self.release(&open, retaining: retained != nil, relayBytes: relayBytes)
            phase = .open(open)
            return resumed
        }

        enum RoomAction: Equatable {
            case go(Room)
            /// Kept; resumed when a subscriber takes what it holds or leaves.
            case wait
        }

        /// The fetch asks whether it may read the next chunk.
        mutating func waitForRoom(_ waiter: RoomWaiter) -> RoomAction {
            guard case .open(var open) = phase else { return .go(.proceed) }
            let now = Self.room(open, retaining: retained != nil, relayBytes: relayBytes)
            guard now == nil else { return .go(now!) }
            precondition(open.roomWaiter == nil, "one fetch feeds a flight")
            open.roomWaiter = waiter
            phase = .open(open)
            return .wait
        }

        /// The waiting fetch, taken out (it was cancelled, or the flight ends).
        mutating func takeRoomWaiter() -> RoomWaiter? {
            guard case .open(var open) = phase else { return nil }
            defer { open.roomWaiter = nil; phase = .open(open) }
            return open.roomWaiter
        }

        /// What the fetch may do now; nil while it must wait.
        private static func room(_ open: Open, retaining: Bool, relayBytes: Int) -> Room? {
            if retaining { return .proceed }
            if open.subscribers.isEmpty && open.endWaiters.isEmpty { return .abandon }
            return open.subscribers.values.allSatisfy { $0.unread <= relayBytes } ? .proceed : nil
        }

        private static func release(_ open: inout Open, retaining: Bool, relayBytes: Int) -> (RoomWaiter, Room)? {
            guard let waiter = open.roomWaiter, let room = room(open, retaining: retaining, relayBytes: relayBytes)
            else { return nil }
            open.roomWaiter = nil
            return (waiter, room)
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
                // Too large to keep whole: the waiter streams it instead.
                if retained == nil { return .complete(nil) }
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
            guard case .open(var open) = phase else { preconditionFailure("a chunk after the flight ended") }
            if retained == nil { dropped = true } else { retained!.append(chunk) }
            var receivers: [Subscriber] = []
            receivers.reserveCapacity(open.subscribers.count)
            for id in open.subscribers.keys {
                open.subscribers[id]!.unread += chunk.readableBytes
                receivers.append(open.subscribers[id]!.subscriber)
            }
            phase = .open(open)
            return receivers
        }

        /// Stops keeping chunks for late subscribers (the answer is too large to hold): these
        /// end waiters learn at once that there will be no whole body (they stream it instead).
        mutating func stopRetaining() -> [EndWaiter] {
            if let retained, !retained.isEmpty { dropped = true }
            retained = nil
            guard case .open(var open) = phase else { return [] }
            defer { open.endWaiters = []; phase = .open(open) }
            return open.endWaiters
        }

        struct FinishAction {
            /// Fail these head waiters with the error (only when the flight failed before its head).
            var failedHeadWaiters: [HeadWaiter] = []
            var error: ProxyError?
            /// End these subscribers with `end`.
            var subscribers: [Subscriber] = []
            /// Resume this waiting fetch (it was waiting for room when the flight ended).
            var roomWaiter: RoomWaiter?
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
            action.subscribers = open.subscribers.values.map(\.subscriber)
            action.roomWaiter = open.roomWaiter
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
