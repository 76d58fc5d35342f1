import Testing

@testable import LLMCacheServer

/// `ConnectionTimers` event by event, on a hand-driven clock: which wait runs, from when.
@Suite struct ConnectionTimersTests {
    typealias Timers = ConnectionTimers<ContinuousClock.Instant>
    let start = ContinuousClock.now
    let limits = Timers.Limits(header: .seconds(10), body: .seconds(20), keepAlive: .seconds(30), send: .seconds(5))

    func at(_ seconds: Int) -> ContinuousClock.Instant { start + .seconds(seconds) }

    @Test func aNewConnectionHasTheHeaderTimeout() {
        let timers = Timers(limits: limits, openedAt: start)
        #expect(timers.nextCheck?.reason == .header)
        #expect(timers.nextCheck?.deadline == at(10))
        #expect(timers.expired(at: at(9)) == nil)
        #expect(timers.expired(at: at(10)) == .header)
    }

    @Test func aBodyHasTheBodyTimeoutFromItsLastPiece() {
        var timers = Timers(limits: limits, openedAt: start)
        timers.readHead(at: at(1))
        timers.readRequested(at: at(1))
        #expect(timers.nextCheck?.reason == .body && timers.nextCheck?.deadline == at(21))
        timers.readBody(at: at(15))
        timers.readRequested(at: at(15))
        #expect(timers.nextCheck?.deadline == at(35), "each piece restarts it")
        #expect(timers.expired(at: at(30)) == nil)
    }

    @Test func theBodyTimerWaitsWhileTheServerHoldsReadsBack() {
        var timers = Timers(limits: limits, openedAt: start)
        timers.readHead(at: at(1))
        #expect(timers.nextCheck == nil, "no read asked for: the server is the slow one")
        #expect(timers.expired(at: at(100)) == nil)
        timers.readRequested(at: at(100))
        #expect(timers.nextCheck?.reason == .body && timers.nextCheck?.deadline == at(120), "counted from the ask")
        timers.readRequested(at: at(110))
        #expect(timers.nextCheck?.deadline == at(120), "asking again does not restart it")
    }

    @Test func noReadTimerRunsWhileARequestIsAnswered() {
        var timers = Timers(limits: limits, openedAt: start)
        timers.readHead(at: at(1))
        timers.readEnd(at: at(2))
        #expect(timers.nextCheck == nil, "the upstream's timeouts govern an answer in progress")
        #expect(timers.expired(at: at(1_000)) == nil)
    }

    @Test func afterAResponseTheKeepAliveTimeoutRuns() {
        var timers = Timers(limits: limits, openedAt: start)
        timers.readHead(at: at(1))
        timers.readEnd(at: at(2))
        timers.wroteEnd(at: at(4))
        #expect(timers.nextCheck?.reason == .keepAlive && timers.nextCheck?.deadline == at(34))
        timers.readHead(at: at(20))
        timers.readRequested(at: at(20))
        #expect(timers.nextCheck?.reason == .body)
    }

    @Test func aFullOutputHasTheSendTimeoutUntilItDrains() {
        var timers = Timers(limits: limits, openedAt: start)
        timers.readHead(at: at(1))
        timers.readEnd(at: at(2))
        timers.writable(false, at: at(3))
        timers.writable(false, at: at(4))
        #expect(timers.nextCheck?.reason == .send && timers.nextCheck?.deadline == at(8), "from the first stall")
        #expect(timers.expired(at: at(8)) == .send)
        timers.writable(true, at: at(6))
        #expect(timers.nextCheck == nil)
    }

    @Test func theEarlierOfTwoRunningWaitsComesFirst() {
        var timers = Timers(limits: limits, openedAt: start)
        timers.writable(false, at: at(0))
        #expect(timers.nextCheck?.reason == .send, "5 s to send before 10 s for the head")
        timers.writable(true, at: at(1))
        #expect(timers.nextCheck?.reason == .header)
    }
}
