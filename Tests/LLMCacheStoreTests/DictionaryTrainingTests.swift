import LLMCacheCore
import Testing

@testable import LLMCacheStore

/// The running store trains its own dictionary (``DictionaryTraining``, ``DictionaryTrainer``).
@Suite struct DictionaryTrainingPolicyTests {
    let start = ContinuousClock.now

    func usage(_ records: Int, ratio: Double) -> DictionaryUsage {
        DictionaryUsage(
            records: records, rawBytes: records * 1_000, storedBytes: Int(Double(records * 1_000) / ratio),
            recordBytes: records * 1_000)
    }

    @Test func theFirstDictionaryWaitsForEnoughRecords() {
        var policy = DictionaryTraining(minimumRecords: 1_000)
        #expect(policy.decide(current: nil, usage: [:], storedRecords: 999, now: start) == .wait)
        guard case .train = policy.decide(current: nil, usage: [:], storedRecords: 1_000, now: start) else {
            Issue.record("1,000 records and no dictionary: train")
            return
        }
    }

    /// A dictionary's first window is its baseline; a later window compressing below 80 % of it
    /// retrains — not before the minimum interval since the last training.
    @Test func aDriftingRatioRetrainsAtMostOncePerInterval() {
        var policy = DictionaryTraining(windowRecords: 100, retrainBelow: 0.8, minimumInterval: .seconds(600))
        policy.trained(7, now: start)
        var used = usage(99, ratio: 3)
        #expect(policy.decide(current: 7, usage: [7: used], storedRecords: 5_000, now: start) == .wait)
        used = usage(100, ratio: 3)
        #expect(policy.decide(current: 7, usage: [7: used], storedRecords: 5_000, now: start) == .wait)
        #expect(abs((policy.baseline?.ratio ?? 0) - 3) < 0.001)
        // A window at 2.5x: within 80 % of 3x.
        used.add(usage(100, ratio: 2.5))
        #expect(policy.decide(current: 7, usage: [7: used], storedRecords: 5_000, now: start) == .wait)
        // A window at 2x (< 2.4x), but only a minute after training: wait.
        used.add(usage(100, ratio: 2))
        #expect(policy.decide(current: 7, usage: [7: used], storedRecords: 5_000, now: start + .seconds(60)) == .wait)
        used.add(usage(100, ratio: 2))
        let verdict = policy.decide(current: 7, usage: [7: used], storedRecords: 5_000, now: start + .seconds(601))
        guard case .train(let reason) = verdict else {
            Issue.record("drifted to 2x from 3x, 10 minutes on: \(verdict)")
            return
        }
        #expect(reason.contains("2.0x") && reason.contains("3.0x"), "\(reason)")
    }

    /// A failed training waits the interval and asks for twice the records the next time.
    @Test func aFailedTrainingBacksOff() {
        var policy = DictionaryTraining(minimumRecords: 10)
        policy.trained(nil, now: start)
        #expect(policy.minimumRecords == 20)
        #expect(policy.decide(current: nil, usage: [:], storedRecords: 15, now: start) == .wait)
    }
}

@Suite struct DictionaryTrainerTests {
    let scratch = ScratchDirectory()

    /// Through the trainer, on a real store: nothing before enough records; then a dictionary
    /// that new writes use and that compresses them better than none did; every record of
    /// both generations readable, also after a reopen; the report counts both.
    @Test func theRunningStoreTrainsItsOwnDictionary() async throws {
        let directory = scratch.sub("trained")
        let tier = try DiskTier(configuration: .init(directory: directory))
        let trainer = DictionaryTrainer(tier: tier, policy: DictionaryTraining(minimumRecords: 500))
        for index in 0..<499 { tier.put(key(index), chatEntry(index)) }
        try await tier.flush()
        #expect(trainer.trainIfDue() == nil)
        for index in 499..<1_000 { tier.put(key(index), chatEntry(index)) }
        try await tier.flush()
        let id = try #require(trainer.trainIfDue())
        #expect(tier.currentDictionaryID == id)
        #expect(trainer.trainIfDue() == nil, "trained once, not again")
        for index in 1_000..<2_000 { tier.put(key(index), chatEntry(index)) }
        try await tier.flush()
        let reports = tier.dictionaryReports
        let plain = try #require(reports.first { $0.id == 0 })
        let trained = try #require(reports.first { $0.id == id })
        #expect(plain.usage.records == 1_000 && !plain.isCurrent)
        #expect(trained.usage.records == 1_000 && trained.isCurrent)
        #expect(
            trained.usage.payloadRatio > 1.5 * plain.usage.payloadRatio,
            "with the dictionary \(trained.usage.payloadRatio)x, without \(plain.usage.payloadRatio)x")
        for index in 0..<2_000 { #expect(tier.get(key(index)) == chatEntry(index)) }
        let reopened = try DiskTier(configuration: .init(directory: directory))
        #expect(reopened.currentDictionaryID == id)
        for index in stride(from: 0, to: 2_000, by: 7) { #expect(reopened.get(key(index)) == chatEntry(index)) }
    }
}
