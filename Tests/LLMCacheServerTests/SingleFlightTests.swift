import LLMCacheCore
import Testing

@testable import LLMCacheServer

@Suite struct SingleFlightStateTests {
    let a = CacheKey(identifier: 1)
    let b = CacheKey(identifier: 2)

    @Test func theFirstLeadsAndTheRestFollowUntilClosed() {
        var state = SingleFlight.State()
        let (first, flight) = state.join(a) { Flight() }
        guard case .startFetch = first else {
            Issue.record("first request must lead")
            return
        }
        let (second, followed) = state.join(a) { Flight() }
        guard case .follow = second else {
            Issue.record("second request must follow")
            return
        }
        #expect(followed === flight)
        let (other, otherFlight) = state.join(b) { Flight() }
        guard case .startFetch = other else {
            Issue.record("another key leads its own fetch")
            return
        }
        #expect(otherFlight !== flight)
        state.close(a, flight)
        #expect(state.flights[a] == nil && state.flights[b] != nil)
        let (after, newFlight) = state.join(a) { Flight() }
        guard case .startFetch = after else {
            Issue.record("after the close a new fetch starts")
            return
        }
        #expect(newFlight !== flight)
    }

    @Test func closingAStaleFlightLeavesTheNewOneAlone() {
        var state = SingleFlight.State()
        let (_, old) = state.join(a) { Flight() }
        state.close(a, old)
        let (_, current) = state.join(a) { Flight() }
        state.close(a, old)
        #expect(state.flights[a] === current)
    }
}

@Suite struct FlightTests {
    @Test func lateSubscribersGetEverythingSoFarThenTheRest() async throws {
        let flight = Flight()
        flight.deliver(head: .init(status: 200, headers: []))
        flight.deliver(chunk: .init(string: "a"))
        let early = try #require(flight.body())
        flight.deliver(chunk: .init(string: "b"))
        let late = try #require(flight.body())
        flight.deliver(chunk: .init(string: "c"))
        flight.finish(.success(()))
        let afterEnd = try #require(flight.body())
        for stream in [early, late, afterEnd] {
            var text = ""
            for try await chunk in stream { text += String(buffer: chunk) }
            #expect(text == "abc")
        }
        #expect(try await flight.head().status == 200)
        #expect(try await flight.completeBody().map { String(buffer: $0) } == "abc")
    }

    @Test func aFailureReachesHeadAndBodyWaiters() async throws {
        let flight = Flight()
        let body = try #require(flight.body())
        flight.finish(.failure(ProxyError(status: .badGateway, type: "upstream_unreachable", message: "down")))
        await #expect(throws: ProxyError.self) { try await flight.head() }
        await #expect(throws: ProxyError.self) { for try await _ in body {} }
        await #expect(throws: ProxyError.self) { try await flight.completeBody() }
    }

    @Test func theFetchWaitsForASlowSubscriberAndGoesOnWhenItTakes() async throws {
        let waits = EventCount()
        let flight = Flight(relayBytes: 2, retaining: false, waits: waits)
        let body = try #require(flight.body())
        flight.deliver(head: .init(status: 200, headers: []))
        flight.deliver(chunk: .init(string: "abc"))
        async let room = flight.room()
        await waits.reached(atLeast: 1)
        var chunks = body.makeAsyncIterator()
        #expect(try await chunks.next().map { String(buffer: $0) } == "abc")
        #expect(await room == .proceed)
    }

    @Test func aCancelledFetchStopsWaiting() async throws {
        let waits = EventCount()
        let flight = Flight(relayBytes: 0, retaining: false, waits: waits)
        let body = try #require(flight.body())
        flight.deliver(head: .init(status: 200, headers: []))
        flight.deliver(chunk: .init(string: "x"))
        let waiting = Task { await flight.room() }
        await waits.reached(atLeast: 1)
        waiting.cancel()
        #expect(await waiting.value == .proceed, "let go; its next read fails")
        withExtendedLifetime(body) {}
    }

    @Test func whenTheLastSubscriberLeavesTheFetchIsToldToStop() async throws {
        let waits = EventCount()
        let flight = Flight(relayBytes: 0, retaining: false, waits: waits)
        var body = flight.body()
        flight.deliver(head: .init(status: 200, headers: []))
        flight.deliver(chunk: .init(string: "x"))
        async let room = flight.room()
        await waits.reached(atLeast: 1)
        body = nil
        #expect(body == nil)
        #expect(await room == .abandon)
    }
}
