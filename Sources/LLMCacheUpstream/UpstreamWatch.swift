import LLMCacheCore
import NIOCore
import Synchronization

/// Times the reading of an upstream's body, where AsyncHTTPClient has one read timer for both
/// the wait for the head and the gaps in the body: a body that sends nothing for `idle`
/// (upstream_client.stream_idle_timeout) or runs past `deadline` (total_timeout) is cut.
///
/// The body is read by `operation` in a child task; a watchdog beside it sleeps until the next
/// moment the body could be late (one wake-up per idle period, nothing per chunk but a clock
/// read) and, when it is, cancels the read — AsyncHTTPClient then drops the connection. Time the
/// reader spends waiting on its own consumer (``Progress/waiting(_:)``) is not the upstream's
/// and does not count as idle.
public enum UpstreamWatch {
    /// Why the watch cut a body.
    public enum Timeout: Error, Sendable, CustomStringConvertible {
        case idle(Duration)
        case total(Duration)

        public var description: String {
            switch self {
            case .idle(let limit): "the upstream sent nothing for \(limit) (stream_idle_timeout)"
            case .total(let limit): "the upstream's answer took longer than \(limit) (total_timeout)"
            }
        }
    }

    /// What the reader reports to the watchdog.
    public final class Progress: Sendable {
        private let clock = ContinuousClock()
        private let origin: ContinuousClock.Instant
        /// Nanoseconds from `origin` to the last sign of life.
        private let last = Atomic<Int64>(0)
        private let paused = Atomic<Int>(0)

        init() {
            origin = clock.now
        }

        /// A chunk arrived.
        public func touch() {
            last.store(TimeAmount(clock.now - origin).nanoseconds, ordering: .relaxed)
        }

        /// Runs `wait` (the reader waiting for its consumer) with the idle timer held.
        public func waiting<T>(_ wait: () async throws -> T) async rethrows -> T {
            paused.add(1, ordering: .relaxed)
            defer {
                touch()
                paused.subtract(1, ordering: .relaxed)
            }
            return try await wait()
        }

        var isPaused: Bool { paused.load(ordering: .relaxed) > 0 }

        var lastSign: ContinuousClock.Instant { origin + .nanoseconds(last.load(ordering: .relaxed)) }
    }

    /// Runs `operation` (which reads a body, calling `touch()` per chunk) under the watch;
    /// throws ``Timeout`` when the body is idle for `idle` or the clock passes `deadline`.
    public static func run<T: Sendable>(
        idle: Duration, deadline: ContinuousClock.Instant, totalLimit: Duration,
        _ operation: @escaping @Sendable (Progress) async throws -> T
    ) async throws -> T {
        let progress = Progress()
        progress.touch()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation(progress) }
            group.addTask {
                try await watchdog(progress, idle: idle, deadline: deadline, totalLimit: totalLimit)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            preconditionFailure("the operation returns a value or throws")
        }
    }

    /// Sleeps until the body could be late; throws when it is. Returns only when cancelled.
    private static func watchdog(
        _ progress: Progress, idle: Duration, deadline: ContinuousClock.Instant, totalLimit: Duration
    ) async throws {
        let clock = ContinuousClock()
        while true {
            let now = clock.now
            if now >= deadline { throw Timeout.total(totalLimit) }
            let idleEnd = progress.isPaused ? now + idle : progress.lastSign + idle
            if idleEnd <= now { throw Timeout.idle(idle) }
            do {
                // Not Task.sleep: its timer outlives a cancelled sleep (``TimerSleep``).
                try await TimerSleep.sleep(until: min(idleEnd, deadline), clock: clock)
            } catch {
                return  // the operation is over
            }
        }
    }
}
