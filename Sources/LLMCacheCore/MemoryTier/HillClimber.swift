/// Sizes W-TinyLFU's admission window to the workload (Caffeine's simple hill climber): after
/// each sample of requests it compares the hit rate with the previous sample's, keeps moving the
/// window in the same direction while the rate improves and turns around when it worsens, with a
/// step that decays, and restarts large when the rate jumps.
struct HillClimber {
    static let stepPercent = 0.0625
    static let stepDecayRate = 0.98
    static let restartThreshold = 0.05

    var hitsInSample = 0
    var missesInSample = 0
    var previousHitRate = 0.0
    var stepSize = 0.0

    mutating func recordHit() { hitsInSample += 1 }
    mutating func recordMiss() { missesInSample += 1 }

    /// Starts over for a cache of `maximum` weight; the first step shrinks the window.
    mutating func reset(maximum: Int) {
        hitsInSample = 0
        missesInSample = 0
        stepSize = -Self.stepPercent * Double(maximum)
    }

    /// The weight to move into the window (positive) or out of it (negative), once a sample of
    /// `sampleSize` requests is complete; otherwise 0.
    mutating func adjustment(sampleSize: Int, maximum: Int) -> Int {
        let requests = hitsInSample + missesInSample
        guard requests >= sampleSize, requests > 0 else { return 0 }
        let hitRate = Double(hitsInSample) / Double(requests)
        let change = hitRate - previousHitRate
        let amount = change >= 0 ? stepSize : -stepSize
        stepSize =
            abs(change) >= Self.restartThreshold
            ? Self.stepPercent * Double(maximum) * (amount >= 0 ? 1 : -1)
            : Self.stepDecayRate * amount
        previousHitRate = hitRate
        hitsInSample = 0
        missesInSample = 0
        return Int(amount)
    }
}
