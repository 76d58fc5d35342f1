import LLMCacheCore
import Synchronization

/// Which requests share one upstream fetch: the first request for a key leads (starts the
/// fetch), identical requests arriving while it runs follow (receive the same answer).
///
/// The decisions are a pure state machine (`SingleFlight.State`), unit-tested without I/O;
/// this class runs it under a lock.
final class SingleFlight: Sendable {
    /// What `join` decided.
    enum Role {
        case leader(Flight)
        case follower(Flight)
    }

    struct State {
        private(set) var flights: [CacheKey: Flight] = [:]

        enum JoinAction {
            case startFetch
            case follow(Flight)
        }

        /// A request for `key` arrives.
        mutating func join(_ key: CacheKey, newFlight: () -> Flight) -> (JoinAction, Flight) {
            if let flight = flights[key] {
                return (.follow(flight), flight)
            }
            let flight = newFlight()
            flights[key] = flight
            return (.startFetch, flight)
        }

        /// The fetch of `flight` is over, or it may take no more followers.
        mutating func close(_ key: CacheKey, _ flight: Flight) {
            if flights[key] === flight { flights[key] = nil }
        }
    }

    private let state = Mutex(State())
    /// Requests that have followed a flight so far.
    private let followers = EventCount()
    /// Times a relay held its upstream read back for a slow client (``Flight/room()``).
    let relayWaits = EventCount()

    /// A flight counting its waits in ``relayWaits``; `retaining: false` for a pass-through relay.
    func newFlight(retaining: Bool = true) -> Flight {
        Flight(retaining: retaining, waits: relayWaits)
    }

    /// Leads a new fetch of `key` or follows the one in flight.
    func join(_ key: CacheKey) -> Role {
        let (action, flight) = state.withLock { $0.join(key, newFlight: { newFlight() }) }
        switch action {
        case .startFetch: return .leader(flight)
        case .follow(let flight):
            followers.add()
            return .follower(flight)
        }
    }

    /// Stops new requests from following `flight` (it finished, or grew too large to replay
    /// to late followers).
    func close(_ key: CacheKey, _ flight: Flight) {
        state.withLock { $0.close(key, flight) }
    }

    /// Returns once `count` requests in all have followed a flight (a completion signal for
    /// tests that must hold a fetch until its followers have joined).
    func followersJoined(atLeast count: Int) async {
        await followers.reached(atLeast: count)
    }
}
