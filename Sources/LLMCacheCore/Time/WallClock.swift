#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// The source of "now" for expiry decisions. Injected everywhere time matters, so tests run on a
/// ``ManualClock`` instead of sleeping.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

/// The system's real-time clock. On Linux the coarse variant (`CLOCK_REALTIME_COARSE`, a few
/// nanoseconds to read, resolution of one scheduler tick, 1–4 ms): every cache lookup asks for
/// the time, and expiry needs no finer grain.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Timestamp {
        var spec = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_REALTIME_COARSE, &spec)
        #else
            clock_gettime(CLOCK_REALTIME, &spec)
        #endif
        return Timestamp(nanosecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }
}

/// A clock that moves only when told to. Thread-safe.
public final class ManualClock: WallClock {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp = Timestamp(secondsSinceEpoch: 1_700_000_000)) {
        self.current = Mutex(start)
    }

    public func now() -> Timestamp { current.withLock { $0 } }

    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.adding(duration) }
    }

    public func set(_ timestamp: Timestamp) {
        current.withLock { $0 = timestamp }
    }
}
