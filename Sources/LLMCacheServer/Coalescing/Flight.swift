import LLMCacheCore
import NIOCore
import Synchronization

/// One upstream fetch, broadcast to every request waiting for it: the response head, then the
/// body chunks — a subscriber arriving late first receives what arrived so far, then the rest
/// live — then the end (or the failure).
final class Flight: Sendable {
    struct Head: Sendable {
        var status: Int
        var headers: [HeaderField]
    }

    private struct State {
        var head: Result<Head, ProxyError>?
        var headWaiters: [CheckedContinuation<Head, any Error>] = []
        /// Everything received so far, for late subscribers (dropped when `retaining` ends).
        var chunks: [ByteBuffer] = []
        var retaining = true
        var subscribers: [Int: AsyncThrowingStream<ByteBuffer, any Error>.Continuation] = [:]
        var nextSubscriber = 0
        var end: Result<Void, ProxyError>?
        var endWaiters: [CheckedContinuation<ByteBuffer?, any Error>] = []
    }

    private let state = Mutex(State())

    /// Waits for the response head; throws the fetch's error if it failed first.
    func head() async throws -> Head {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Head, ProxyError>? = state.withLock { state in
                if let head = state.head { return head }
                state.headWaiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// The body: chunks so far, then live ones, ending when the fetch ends.
    func body() -> AsyncThrowingStream<ByteBuffer, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
        let id: Int? = state.withLock { state in
            guard state.retaining || state.end != nil else {
                // Too late to replay from the start; never happens to followers (the flight
                // stops taking them first).
                continuation.finish(throwing: ProxyError(status: .internalServerError, type: "flight_gone", message: "answer no longer replayable"))
                return nil
            }
            for chunk in state.chunks { continuation.yield(chunk) }
            if let end = state.end {
                finish(continuation, end)
                return nil
            }
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            return id
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    /// Waits for the end and returns the whole body in one buffer, or nil when it was too large
    /// to keep (then use ``body()``). Throws the fetch's error.
    func completeBody() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<ByteBuffer?, ProxyError>? = state.withLock { state in
                guard let end = state.end else {
                    state.endWaiters.append(continuation)
                    return nil
                }
                return end.map { state.retaining ? Self.joined(state.chunks) : nil }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    private static func joined(_ chunks: [ByteBuffer]) -> ByteBuffer {
        if chunks.count == 1 { return chunks[0] }
        var whole = ByteBuffer()
        whole.reserveCapacity(chunks.reduce(0) { $0 + $1.readableBytes })
        for var chunk in chunks { whole.writeBuffer(&chunk) }
        return whole
    }

    // MARK: - Feeding (the fetch)

    func deliver(head: Head) {
        let waiters = state.withLock { state in
            state.head = .success(head)
            defer { state.headWaiters = [] }
            return state.headWaiters
        }
        for waiter in waiters { waiter.resume(returning: head) }
    }

    func deliver(chunk: ByteBuffer) {
        let subscribers = state.withLock { state in
            if state.retaining { state.chunks.append(chunk) }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(chunk) }
    }

    /// Stops keeping chunks for late subscribers (the answer is too large to hold).
    func stopRetaining() {
        state.withLock { state in
            state.retaining = false
            state.chunks = []
        }
    }

    func finish(_ end: Result<Void, ProxyError>) {
        let (waiters, subscribers, endWaiters, body) = state.withLock { state in
            state.end = end
            if state.head == nil, case .failure(let error) = end { state.head = .failure(error) }
            defer {
                state.headWaiters = []
                state.subscribers = [:]
                state.endWaiters = []
            }
            let body: ByteBuffer? = state.retaining && !state.endWaiters.isEmpty ? Self.joined(state.chunks) : nil
            return (state.headWaiters, Array(state.subscribers.values), state.endWaiters, body)
        }
        if case .failure(let error) = end {
            for waiter in waiters { waiter.resume(throwing: error) }
        }
        for subscriber in subscribers { finish(subscriber, end) }
        for waiter in endWaiters {
            switch end {
            case .success: waiter.resume(returning: body)
            case .failure(let error): waiter.resume(throwing: error)
            }
        }
    }

    private func finish(_ continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation, _ end: Result<Void, ProxyError>) {
        switch end {
        case .success: continuation.finish()
        case .failure(let error): continuation.finish(throwing: error)
        }
    }
}
