import NIOCore
import NIOPosix

/// A sleep that gives its timer back the moment it is cancelled, for per-request timeouts.
///
/// `Task.sleep` on Linux arms a dispatch timer that stays armed, holding the sleeping task's job,
/// until its deadline — also after the task was cancelled. A timeout that almost never fires (the
/// upstream body's two-minute idle watchdog, a plugin's or the shared tier's deadline) then kept
/// about 750 bytes per request for its whole length: measured through the proxy, the heap grew
/// 740 B per upstream call at any rate, 90 MB at 1,000 misses a second. This one waits on an
/// event loop's timer heap, which cancelling removes it from at once.
public enum TimerSleep {
    /// Sleeps for `duration`; throws `CancellationError` when the task is cancelled first.
    public static func sleep(
        for duration: Duration, on eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()
    ) async throws {
        let scheduled = eventLoop.scheduleTask(in: TimeAmount(max(duration, .zero))) {}
        try await withTaskCancellationHandler {
            do { try await scheduled.futureResult.get() } catch { throw CancellationError() }
        } onCancel: {
            scheduled.cancel()
        }
    }

    /// Sleeps until `deadline` on `clock`; throws `CancellationError` when cancelled first.
    public static func sleep(until deadline: ContinuousClock.Instant, clock: ContinuousClock = ContinuousClock())
        async throws
    {
        try await sleep(for: deadline - clock.now)
    }
}
