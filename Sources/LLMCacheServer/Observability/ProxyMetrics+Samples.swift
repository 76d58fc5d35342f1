/// Sampled requests (``SampleRequest``): how many, by the index that answered them, and how many
/// keys have answered with how many distinct samples (in this process).
extension ProxyMetrics {
    public struct SampleCounts: Sendable, Equatable {
        public var requests = 0
        /// Requests by sample index.
        public var byIndex: [Int: Int] = [:]
        /// Keys by the number of distinct samples they have answered with.
        public var keysBySamplesHeld: [Int: Int] = [:]
    }

    /// A sampled request was given `index`; its key had answered with `heldBefore` distinct
    /// samples and now `heldAfter`.
    func sampled(index: Int, heldBefore: Int, heldAfter: Int) {
        counts.withLock {
            $0.samples.requests += 1
            $0.samples.byIndex[index, default: 0] += 1
            guard heldAfter != heldBefore else { return }
            if heldBefore > 0 {
                $0.samples.keysBySamplesHeld[heldBefore, default: 0] -= 1
                if $0.samples.keysBySamplesHeld[heldBefore] == 0 { $0.samples.keysBySamplesHeld[heldBefore] = nil }
            }
            $0.samples.keysBySamplesHeld[heldAfter, default: 0] += 1
        }
    }
}
