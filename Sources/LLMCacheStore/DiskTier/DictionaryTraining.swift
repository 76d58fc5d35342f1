/// When a running store trains its own zstd dictionary (``DictionaryTrainer``): small JSON
/// answers barely compress alone (zstd has nothing to refer back to in 300 bytes), and a
/// dictionary trained on the store's own records lifts them severalfold.
///
/// - **First dictionary**: once the store holds ``minimumRecords`` records.
/// - **Retraining**: once a dictionary has compressed ``windowRecords`` writes, their payload
///   ratio is its baseline; when a later window of as many writes compresses below
///   ``retrainBelow`` of that baseline (the answers changed shape), and at least
///   ``minimumInterval`` has passed since the last training, a new one is trained.
///
/// A pure state machine: ``decide(current:usage:storedRecords:now:)`` says whether to train;
/// the trainer does it and calls ``trained(_:now:)``.
public struct DictionaryTraining: Sendable {
    public var minimumRecords: Int
    public var windowRecords: Int
    public var retrainBelow: Double
    public var minimumInterval: Duration

    /// The current dictionary's ratio over its first window.
    private(set) var baseline: (id: UInt32, ratio: Double)?
    /// The current dictionary's usage when the window in progress began.
    private(set) var windowStart: DictionaryUsage?
    private(set) var trainedAt: ContinuousClock.Instant?

    public init(
        minimumRecords: Int = 1_000, windowRecords: Int = 1_000, retrainBelow: Double = 0.8,
        minimumInterval: Duration = .seconds(600)
    ) {
        self.minimumRecords = minimumRecords
        self.windowRecords = windowRecords
        self.retrainBelow = retrainBelow
        self.minimumInterval = minimumInterval
    }

    public enum Verdict: Sendable, Equatable {
        case wait
        /// Train now, for this reason (logged).
        case train(String)
    }

    /// `current`: the dictionary new writes use (nil: none); `usage`: the writes since the start
    /// per dictionary id; `storedRecords`: records in the store.
    public mutating func decide(
        current: UInt32?, usage: [UInt32: DictionaryUsage], storedRecords: Int, now: ContinuousClock.Instant
    ) -> Verdict {
        guard let current else {
            return storedRecords >= minimumRecords
                ? .train("the store holds \(storedRecords) records and no dictionary") : .wait
        }
        let used = usage[current] ?? DictionaryUsage()
        guard let baseline, baseline.id == current else {
            // A new dictionary (or a restart): its first window is the baseline.
            if used.records >= windowRecords {
                baseline = (current, used.payloadRatio)
                windowStart = used
            }
            return .wait
        }
        let window = used.since(windowStart ?? used)
        guard window.records >= windowRecords else { return .wait }
        windowStart = used
        let ratio = window.payloadRatio
        guard ratio < retrainBelow * baseline.ratio else { return .wait }
        if let trainedAt, now - trainedAt < minimumInterval { return .wait }
        return .train(
            "dictionary \(current) now compresses \(Self.format(ratio))x, down from \(Self.format(baseline.ratio))x")
    }

    /// A dictionary was trained (or training failed: wait ``minimumInterval`` before the next
    /// attempt either way).
    public mutating func trained(_ id: UInt32?, now: ContinuousClock.Instant) {
        trainedAt = now
        baseline = nil
        windowStart = nil
        if id == nil { minimumRecords *= 2 }
    }

    private static func format(_ ratio: Double) -> String { String((ratio * 100).rounded() / 100) }
}
