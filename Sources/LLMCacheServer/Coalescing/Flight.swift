import LLMCacheCore
import NIOCore
import Synchronization

/// One upstream fetch, broadcast to every request waiting for it: the response head, then the
/// body chunks — a subscriber arriving late first receives what arrived so far, then the rest
/// live — then the end (or the failure).
///
/// The decisions are ``StateMachine``'s (pure, unit-tested without I/O); this class keeps it
/// under a lock and resumes continuations after unlocking.
final class Flight: Sendable {
    struct Head: Sendable {
        var status: Int
        var headers: [HeaderField]
    }

    typealias BodyContinuation = AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    private typealias Machine = StateMachine<
        CheckedContinuation<Head, any Error>, BodyContinuation, CheckedContinuation<ByteBuffer?, any Error>
    >

    private let state = Mutex(Machine())

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

    /// The body: chunks so far, then live ones, ending when the fetch ends.
    func body() -> AsyncThrowingStream<ByteBuffer, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
        // The replay is yielded under the lock: a chunk delivered meanwhile waits, so it cannot
        // overtake the chunks before it.
        let follow: Int? = state.withLock { machine in
            switch machine.subscribe(continuation) {
            case .replayThenFollow(let chunks, let id):
                for chunk in chunks { continuation.yield(chunk) }
                return id
            case .replayThenEnd(let chunks, let end):
                for chunk in chunks { continuation.yield(chunk) }
                Self.finish(continuation, end)
                return nil
            case .refuse:
                // Never happens to followers: the flight stops taking them first.
                continuation.finish(
                    throwing: ProxyError(
                        status: .internalServerError, type: "flight_gone", message: "answer no longer replayable"))
                return nil
            }
        }
        if let follow {
            continuation.onTermination = { [weak self] _ in self?.state.withLock { $0.unsubscribe(follow) } }
        }
        return stream
    }

    /// Waits for the end and returns the whole body in one buffer, or nil when it was too large
    /// to keep (then use ``body()``). Throws the fetch's error.
    func completeBody() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            switch state.withLock({ $0.waitForEnd(continuation) }) {
            case .complete(let body): continuation.resume(returning: body)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    // MARK: - Feeding (the fetch)

    func deliver(head: Head) {
        for waiter in state.withLock({ $0.receiveHead(head) }) { waiter.resume(returning: head) }
    }

    func deliver(chunk: ByteBuffer) {
        for subscriber in state.withLock({ $0.receive(chunk) }) { subscriber.yield(chunk) }
    }

    /// Stops keeping chunks for late subscribers (the answer is too large to hold).
    func stopRetaining() {
        state.withLock { $0.stopRetaining() }
    }

    func finish(_ end: Result<Void, ProxyError>) {
        let action = state.withLock { $0.finish(end) }
        if let error = action.error {
            for waiter in action.failedHeadWaiters { waiter.resume(throwing: error) }
        }
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
