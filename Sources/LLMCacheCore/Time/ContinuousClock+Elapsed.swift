extension ContinuousClock.Instant {
    /// Whole nanoseconds from this instant until now (for latency metrics).
    public var nanosecondsElapsed: Int64 {
        let elapsed = ContinuousClock.now - self
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }
}
