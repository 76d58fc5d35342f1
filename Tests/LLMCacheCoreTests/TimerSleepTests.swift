import LLMCacheCore
import Testing

/// ``TimerSleep``: a sleep that ends at its time, and a cancelled one that ends at once (its
/// timer removed, where the standard library's sleep keeps its timer armed until the deadline).
@Suite struct TimerSleepTests {
    /// The one real wait in these tests, and on purpose: the sleep's own length is what is tested
    /// (20 ms; the other tests end by cancellation, not by time).
    @Test func aSleepEndsAfterItsDuration() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        try await TimerSleep.sleep(for: .milliseconds(20))
        #expect(clock.now - started >= .milliseconds(20))
        try await TimerSleep.sleep(until: clock.now - .seconds(1))  // a deadline passed: at once
    }

    @Test func aCancelledSleepThrowsCancellationAtOnce() async throws {
        let sleeper = Task { try await TimerSleep.sleep(for: .seconds(3_600)) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    /// Cancelled while it waits (not before it starts): the group's other child wins, the sleep
    /// is cancelled by the group and ends — a task group returns only when it has.
    @Test func aSleepCancelledWhileWaitingEnds() async throws {
        for _ in 0..<1_000 {
            let winner = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    try await TimerSleep.sleep(for: .seconds(3_600))
                    return "sleep"
                }
                group.addTask { "operation" }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            #expect(winner == "operation")
        }
    }
}
