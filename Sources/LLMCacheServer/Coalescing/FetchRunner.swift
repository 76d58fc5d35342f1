import ServiceLifecycle
import Synchronization

/// Runs upstream fetches in its own task group, so a fetch belongs to no single request: the
/// client that started it may go away and the others waiting for it still get the answer.
/// A `Service`: on graceful shutdown it takes no new fetches and returns when the running ones
/// are done.
final class FetchRunner: Service {
    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let submitter: AsyncStream<@Sendable () async -> Void>.Continuation

    private struct Activity {
        var running = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let activity = Mutex(Activity())

    init() {
        (jobs, submitter) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
    }

    /// Queues `job`; returns false when the runner has stopped.
    @discardableResult
    func submit(_ job: @escaping @Sendable () async -> Void) -> Bool {
        activity.withLock { $0.running += 1 }
        if case .enqueued = submitter.yield(job) { return true }
        finished()
        return false
    }

    /// Returns once no fetch is queued or running — every answer fetched so far has been relayed
    /// and, where it is stored, handed to the cache.
    func idle() async {
        await withCheckedContinuation { continuation in
            let now = activity.withLock { activity in
                if activity.running == 0 { return true }
                activity.idleWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func finished() {
        let waiters = activity.withLock { activity in
            activity.running -= 1
            guard activity.running == 0 else { return [CheckedContinuation<Void, Never>]() }
            defer { activity.idleWaiters = [] }
            return activity.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Graceful shutdown (or cancellation) closes the queue; what is queued still runs.
                try? await gracefulShutdown()
                self.submitter.finish()
            }
            for await job in jobs {
                group.addTask {
                    await job()
                    self.finished()
                }
            }
        }
    }
}
