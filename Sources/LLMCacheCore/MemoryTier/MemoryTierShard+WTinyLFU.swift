/// W-TinyLFU as in Caffeine's `BoundedLocalCache`: new entries enter an LRU window; entries leaving
/// the window join main's probation segment as candidates; when the cache is over budget each
/// candidate duels probation's least recent entry (the victim) and the one the frequency sketch
/// has seen less often is evicted. A hit in probation promotes to the protected segment.
extension MemoryTierShard {
    static let percentMain = 0.99
    static let percentMainProtected = 0.80
    static let admitHashDoSThreshold = 6
    static let queueTransferThreshold = 1_000

    /// Window 1 %, protected 80 % of main: Caffeine's starting point, before climbing.
    mutating func resetWindow() {
        windowMaximum = maximumWeight - Int(Self.percentMain * Double(maximumWeight))
        protectedMaximum = Int(Self.percentMainProtected * Double(maximumWeight - windowMaximum))
        climber.reset(maximum: maximumWeight)
    }

    mutating func wTinyLFUAccess(_ index: Int32) {
        sketch.increment(nodes[Int(index)].key.w1)
        climber.recordHit()
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

    /// Runs the hill climber and resizes the window by its verdict.
    mutating func climb() {
        let adjustment = climber.adjustment(sampleSize: sketch.sampleSize, maximum: maximumWeight)
        demoteFromProtected()
        if adjustment > 0 {
            increaseWindow(by: adjustment)
        } else if adjustment < 0 {
            decreaseWindow(by: -adjustment)
        }
    }

    private mutating func increaseWindow(by amount: Int) {
        guard protectedMaximum > 0 else { return }
        var quota = min(amount, protectedMaximum)
        protectedMaximum -= quota
        windowMaximum += quota
        demoteFromProtected()
        for _ in 0..<Self.queueTransferThreshold {
            var candidate = head(.probation)
            if candidate < 0 || quota < weight(of: candidate) { candidate = head(.protected) }
            guard candidate >= 0 else { break }
            let w = weight(of: candidate)
            guard quota >= w else { break }
            quota -= w
            move(candidate, to: .window)
        }
        protectedMaximum += quota
        windowMaximum -= quota
    }

    private mutating func decreaseWindow(by amount: Int) {
        guard windowMaximum > 1 else { return }
        var quota = min(amount, max(0, windowMaximum - 1))
        protectedMaximum += quota
        windowMaximum -= quota
        for _ in 0..<Self.queueTransferThreshold {
            let candidate = head(.window)
            guard candidate >= 0 else { break }
            let w = weight(of: candidate)
            guard quota >= w else { break }
            quota -= w
            move(candidate, to: .probation)
        }
        protectedMaximum -= quota
        windowMaximum += quota
    }
}
