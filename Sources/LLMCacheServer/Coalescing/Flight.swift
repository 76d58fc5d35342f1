import LLMCacheCore
import NIOCore
import Synchronization

/// One upstream fetch, broadcast to every request waiting for it: the response head, then the
/// body chunks — a subscriber arriving late first receives what arrived so far, then the rest
/// live — then the end (or the failure). The fetch reads on only while every subscriber keeps
/// up (``room()``), once the answer is too large to retain.
///
/// The decisions are ``StateMachine``'s (pure, unit-tested without I/O); this class keeps it
/// under a lock and resumes continuations after unlocking.
final class Flight: Sendable {
    struct Head: Sendable {
        var status: Int
        var headers: [HeaderField]
        /// The tier the answer came from when it is not the upstream (another instance's fetch,
        /// read from the shared tier), for every request on this flight.
        var tier: String? = nil
    }

    typealias BodyContinuation = AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    private typealias Machine = StateMachine<
        CheckedContinuation<Head, any Error>, BodyContinuation, CheckedContinuation<ByteBuffer?, any Error>,
        CheckedContinuation<Room, Never>
    >

    private let state: Mutex<Machine>
    private let waits: EventCount?

    /// `relayBytes`: what one subscriber may hold unread before the fetch waits for it (once the
    /// answer is not retained). `retaining: false`: nothing is kept for late subscribers or a
    /// whole body (a relay: subscribe before the fetch starts).
    /// `waits` counts the times the fetch had to wait for a subscriber.
    init(relayBytes: Int = 1 << 20, retaining: Bool = true, waits: EventCount? = nil) {
        state = Mutex(Machine(relayBytes: relayBytes, retaining: retaining))
        self.waits = waits
    }

    /// Waits for the response head; throws the fetch's error if it failed first.
    func head() async throws -> Head {
        try await withCheckedThrowingContinuation { continuation in
            switch state.withLock({ $0.waitForHead(continuation) }) {
            case .resume(let head): continuation.resume(returning: head)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    /// The body: chunks so far, then live ones, ending when the fetch ends. Nil when the start
    /// of the answer is gone (it was too large to retain).
    func body() -> Body? {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
        // The replay is yielded under the lock: a chunk delivered meanwhile waits, so it cannot
        // overtake the chunks before it.
        let subscription: Int?? = state.withLock { machine in
            switch machine.subscribe(continuation) {
            case .replayThenFollow(let chunks, let id):
                for chunk in chunks { continuation.yield(chunk) }
                return .some(id)
            case .replayThenEnd(let chunks, let end):
                for chunk in chunks { continuation.yield(chunk) }
                Self.finish(continuation, end)
                return .some(nil)
            case .refuse:
                return nil
            }
        }
        guard let subscription else { return nil }
        if let id = subscription {
            continuation.onTermination = { [weak self] _ in
                if let (waiter, room) = self?.state.withLock({ $0.unsubscribe(id) }) { waiter.resume(returning: room) }
            }
        }
        return Body(flight: self, id: subscription, stream: stream)
    }

    /// Waits for the end and returns the whole body in one buffer, or nil when it is too large
    /// to keep (known as soon as it is: then use ``body()``). Throws the fetch's error.
    func completeBody() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            switch state.withLock({ $0.waitForEnd(continuation) }) {
            case .complete(let body): continuation.resume(returning: body)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    /// One subscriber's chunks; taking each one tells the flight, which lets a waiting fetch
    /// read on.
    struct Body: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        fileprivate let flight: Flight
        fileprivate let id: Int?
        fileprivate let stream: AsyncThrowingStream<ByteBuffer, any Error>

        struct AsyncIterator: AsyncIteratorProtocol {
            fileprivate let flight: Flight
            fileprivate let id: Int?
            fileprivate var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator

            mutating func next() async throws -> ByteBuffer? {
                guard let chunk = try await base.next() else { return nil }
                if let id { flight.taken(id, bytes: chunk.readableBytes) }
                return chunk
            }
        }

        func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(flight: flight, id: id, base: stream.makeAsyncIterator())
        }
    }

    private func taken(_ id: Int, bytes: Int) {
        if let (waiter, room) = state.withLock({ $0.taken(id, bytes: bytes) }) { waiter.resume(returning: room) }
    }

    // MARK: - Feeding (the fetch)

    func deliver(head: Head) {
        for waiter in state.withLock({ $0.receiveHead(head) }) { waiter.resume(returning: head) }
    }

    func deliver(chunk: ByteBuffer) {
        for subscriber in state.withLock({ $0.receive(chunk) }) { subscriber.yield(chunk) }
    }

    /// Returns when the fetch may read the next chunk (at once while the answer is retained or
    /// every subscriber keeps up), or `.abandon` when nothing is retained and no one listens.
    /// A cancelled fetch is let go at once (`.proceed`; its next read fails).
    func room() async -> Room {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                switch state.withLock({ $0.waitForRoom(continuation) }) {
                case .go(let room): continuation.resume(returning: room)
                case .wait:
                    waits?.add()
                    // Cancelled before the wait was kept: the handler found no waiter to resume.
                    if Task.isCancelled { state.withLock { $0.takeRoomWaiter() }?.resume(returning: .proceed) }
                }
            }
        } onCancel: {
            state.withLock { $0.takeRoomWaiter() }?.resume(returning: .proceed)
        }
    }

    /// Stops keeping chunks for late subscribers (the answer is too large to hold); whoever
    /// waits for the whole body learns at once that it will stream instead.
    func stopRetaining() {
        for waiter in state.withLock({ $0.stopRetaining() }) { waiter.resume(returning: nil) }
    }

    func finish(_ end: Result<Void, ProxyError>) {
        let action = state.withLock { $0.finish(end) }
        if let error = action.error {
            for waiter in action.failedHeadWaiters { waiter.resume(throwing: error) }
        }
        action.roomWaiter?.resume(returning: .proceed)
        for subscriber in action.subscribers { Self.finish(subscriber, end) }
        for waiter in action.endWaiters {
            switch end {
            case .success: waiter.resume(returning: action.body)
            case .failure(let error): waiter.resume(throwing: error)
            }
        }
    }

    private static func finish(_ continuation: BodyContinuation, _ end: Result<Void, ProxyError>) {
        switch end {
        case .success: continuation.finish()
        case .failure(let error): continuation.finish(throwing: error)
        }
    }
}
