import ServiceLifecycle

/// Runs upstream fetches in its own task group, so a fetch belongs to no single request: the
/// client that started it may go away and the others waiting for it still get the answer.
/// A `Service`: on graceful shutdown it takes no new fetches and returns when the running ones
/// are done.
final class FetchRunner: Service {
    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let submitter: AsyncStream<@Sendable () async -> Void>.Continuation

    init() {
        (jobs, submitter) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
    }

    /// Queues `job`; returns false when the runner has stopped.
    @discardableResult
    func submit(_ job: @escaping @Sendable () async -> Void) -> Bool {
        if case .enqueued = submitter.yield(job) { return true }
        return false
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Graceful shutdown (or cancellation) closes the queue; what is queued still runs.
                try? await gracefulShutdown()
                self.submitter.finish()
            }
            for await job in jobs {
                group.addTask { await job() }
            }
        }
    }
}
