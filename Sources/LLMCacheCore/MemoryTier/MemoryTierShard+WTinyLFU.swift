/// W-TinyLFU as in Caffeine's `BoundedLocalCache`: new entries enter an LRU window; entries leaving
/// the window join main's probation segment as candidates; when the cache is over budget each
/// candidate duels probation's least recent entry (the victim) and the one the frequency sketch
/// has seen less often is evicted. A hit in probation promotes to the protected segment.
extension MemoryTierShard {
    static let percentMain = 0.99
    static let percentMainProtected = 0.80
    static let admitHashDoSThreshold = 6
    static let queueTransferThreshold = 1_000
    /// Entries of main a growing window takes per eviction, after ``setWindow(fraction:)``'s
    /// first ``queueTransferThreshold`` (short, as every insertion may pay it under the lock).
    static let windowGrowthPerEviction = 64

    /// Window 1 %, protected 80 % of main: Caffeine's starting point, before tuning (a
    /// miniature: its own window). A new tuner for the new size.
    mutating func resetWindow() {
        if let miniatureWindow {
            windowMaximum = max(1, Int(miniatureWindow * Double(maximumWeight)))
        } else {
            windowMaximum = maximumWeight - Int(Self.percentMain * Double(maximumWeight))
        }
        protectedMaximum = Int(Self.percentMainProtected * Double(maximumWeight - windowMaximum))
        appliedChoice = -1
        guard policy == .wTinyLFU, miniatureWindow == nil, tunesWindow else { return }
        tuner = WindowTuner(
            maximumWeight: maximumWeight, weighsBytes: weighsBytes, maximumEntries: maximumEntries,
            maximumEntryBytes: maximumEntryBytes, perEntryOverhead: perEntryOverhead, seed: random,
            chosen: max(0, windowChoice?.current ?? 0))
    }

    /// Tells the tuner of a request (a hit, or a miss being stored); a new verdict is the
    /// tier's (this shard follows it at once, the others on their next operation).
    @inline(__always)
    mutating func tune(_ key: CacheKey, bytes: Int) {
        guard tuner != nil, let choice = tuner!.record(key, bytes: bytes) else { return }
        windowChoice?.choose(choice)
        appliedChoice = choice
        setWindow(fraction: WindowTuner.windowFractions[choice])
    }

    /// Sets the window to the tier's choice when it changed since this shard last looked.
    @inline(__always)
    mutating func followWindowChoice() {
        guard let windowChoice else { return }
        let choice = windowChoice.current
        guard choice != appliedChoice, choice >= 0 else { return }
        appliedChoice = choice
        setWindow(fraction: WindowTuner.windowFractions[choice])
    }

    /// The window's share of the weight in force (``WindowTuner``'s choice).
    var windowFraction: Double { maximumWeight == 0 ? 0 : Double(windowMaximum) / Double(maximumWeight) }

    mutating func wTinyLFUAccess(_ index: Int32) {
        sketch.increment(nodes[Int(index)].key.w1)
        if tuner != nil { tune(nodes[Int(index)].key, bytes: Int(nodes[Int(index)].bytes)) }
        switch nodes[Int(index)].queue {
        case .window, .protected:
            moveToTail(index)
        case .probation:
            move(index, to: .protected)
        case .free:
            preconditionFailure("access to a free node")
        }
    }

    /// Moves entries from the window's LRU end to probation until the window fits; returns the
    /// first one moved (the oldest candidate).
    mutating func evictFromWindow() -> Int32 {
        var first: Int32 = -1
        var node = head(.window)
        while weight(.window) > windowMaximum, node >= 0 {
            let next = nodes[Int(node)].next
            move(node, to: .probation)
            if first < 0 { first = node }
            node = next
        }
        return first
    }

    /// Evicts until the shard fits, each candidate against the victim by estimated frequency.
    mutating func evictFromMain(candidate startCandidate: Int32, reason: EvictionReason) {
        var victimQueue = NodeQueue.probation
        var candidateQueue = NodeQueue.probation
        var victim = head(.probation)
        var candidate = startCandidate
        while isOverCapacity {
            if candidate < 0 && candidateQueue == .probation {
                candidate = head(.window)
                candidateQueue = .window
            }
            if candidate < 0 && victim < 0 {
                if victimQueue == .probation {
                    victim = head(.protected)
                    victimQueue = .protected
                    continue
                } else if victimQueue == .protected {
                    victim = head(.window)
                    victimQueue = .window
                    continue
                }
                break
            }
            if victim < 0 {
                let evicted = candidate
                candidate = nodes[Int(candidate)].next
                remove(evicted, reason: reason)
                continue
            }
            if candidate < 0 {
                let evicted = victim
                victim = nodes[Int(victim)].next
                remove(evicted, reason: reason)
                continue
            }
            if candidate == victim {
                victim = nodes[Int(victim)].next
                remove(candidate, reason: reason)
                candidate = -1
                continue
            }
            if admit(candidate: candidate, victim: victim) {
                let evicted = victim
                victim = nodes[Int(victim)].next
                remove(evicted, reason: reason)
                candidate = nodes[Int(candidate)].next
            } else {
                let evicted = candidate
                candidate = nodes[Int(candidate)].next
                remove(evicted, reason: reason)
            }
        }
    }

    /// Whether the candidate should replace the victim: strictly more frequent, or, once it is
    /// popular enough, by a 1/128 chance (so crafted hash collisions cannot lock an entry out).
    private mutating func admit(candidate: Int32, victim: Int32) -> Bool {
        let victimFrequency = sketch.frequency(nodes[Int(victim)].key.w1)
        let candidateFrequency = sketch.frequency(nodes[Int(candidate)].key.w1)
        if candidateFrequency > victimFrequency { return true }
        if candidateFrequency >= Self.admitHashDoSThreshold { return nextRandom() & 127 == 0 }
        return false
    }

    /// Keeps the protected segment within its share by demoting its LRU end to probation.
    mutating func demoteFromProtected() {
        var moved = 0
        while weight(.protected) > protectedMaximum, moved < Self.queueTransferThreshold, head(.protected) >= 0 {
            move(head(.protected), to: .probation)
            moved += 1
        }
    }

    /// Makes the window `fraction` of the weight and protected 80 % of the rest: a larger
    /// window takes main's least recent entries (probation's first) at its own least recent
    /// end, a smaller one hands its least recent to probation; at most ``queueTransferThreshold``
    /// entries move at once, the rest on the next evictions (``growWindow(moving:)``; a window
    /// over its size shrinks as entries come in anyway).
    mutating func setWindow(fraction: Double) {
        guard maximumWeight > 1 else { return }
        windowMaximum = min(maximumWeight - 1, max(1, Int(fraction * Double(maximumWeight))))
        protectedMaximum = Int(Self.percentMainProtected * Double(maximumWeight - windowMaximum))
        var moved = growWindow(moving: Self.queueTransferThreshold)
        while moved < Self.queueTransferThreshold, weight(.window) > windowMaximum, head(.window) >= 0 {
            move(head(.window), to: .probation)
            moved += 1
        }
        demoteFromProtected()
    }

    /// Whether the window is below its size while main holds more than its share: a larger
    /// window was set and not all of main's entries it takes have moved yet.
    var windowIsGrowing: Bool {
        weight(.window) < windowMaximum && totalWeight - weight(.window) > maximumWeight - windowMaximum
    }

    /// Moves up to `limit` of main's least recent entries (probation's first) to the window's
    /// least recent end, in their own order, while they fit in it; returns how many moved.
    /// Without the later moves a window that grew stayed short of its size for as long as the
    /// entries coming in took to fill it — each of them first dueling main's victims by
    /// frequency, which is what a recency-heavy workload's larger window is meant to avoid
    /// (Caffeine keeps the rest of an adjustment pending the same way).
    @discardableResult
    mutating func growWindow(moving limit: Int) -> Int {
        var moved = 0
        var anchor: Int32 = -1
        while moved < limit, totalWeight - weight(.window) > maximumWeight - windowMaximum {
            var candidate = head(.probation)
            if candidate < 0 { candidate = head(.protected) }
            guard candidate >= 0, weight(.window) + weight(of: candidate) <= windowMaximum else { break }
            unlink(candidate)
            link(candidate, after: anchor, in: .window)
            anchor = candidate
            moved += 1
        }
        return moved
    }
}
