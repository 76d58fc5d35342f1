/// A point in wall-clock time: nanoseconds since the Unix epoch (UTC).
///
/// Wall-clock rather than monotonic, because expiry times outlive the process: they are written
/// to disk with the entry and compared again after a restart.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanosecondsSinceEpoch: Int64

    @inlinable
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch =
            secondsSinceEpoch.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? (secondsSinceEpoch < 0 ? .min : .max)
            : secondsSinceEpoch * 1_000_000_000
    }

    /// A time after every real one; used for "never expires".
    public static let distantFuture = Timestamp(nanosecondsSinceEpoch: .max)

    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// `self + duration`, saturating instead of overflowing.
    public func adding(_ duration: Duration) -> Timestamp {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if nanos.overflow { return seconds < 0 ? Timestamp(nanosecondsSinceEpoch: .min) : .distantFuture }
        let delta = nanos.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
        if delta.overflow { return seconds < 0 ? Timestamp(nanosecondsSinceEpoch: .min) : .distantFuture }
        let sum = nanosecondsSinceEpoch.addingReportingOverflow(delta.partialValue)
        if sum.overflow { return delta.partialValue < 0 ? Timestamp(nanosecondsSinceEpoch: .min) : .distantFuture }
        return Timestamp(nanosecondsSinceEpoch: sum.partialValue)
    }

    /// The time from `earlier` to `self` (negative when `earlier` is later).
    public func duration(since earlier: Timestamp) -> Duration {
        let (difference, overflow) = nanosecondsSinceEpoch.subtractingReportingOverflow(earlier.nanosecondsSinceEpoch)
        return .nanoseconds(overflow ? (earlier < self ? Int64.max : Int64.min) : difference)
    }

    public var description: String { "\(nanosecondsSinceEpoch)ns" }
}
