/// Exact hit counts of two reference caches, computed independently of `MemoryTier`, for a cache
/// of `capacity` entries where a request is a hit when its key is present.
enum ReferenceCaches {
    /// Plain LRU: on a miss the key is inserted and, when full, the least recently used key is
    /// evicted. A doubly linked list over array slots and a dictionary — nothing shared with the
    /// tier's own LRU.
    static func lruHits(_ keys: [UInt64], capacity: Int) -> Int {
        precondition(capacity > 0)
        var slotOf: [UInt64: Int] = [:]
        var key = [UInt64](), previous = [Int](), next = [Int]()
        var head = -1, tail = -1  // head: most recent
        func unlink(_ slot: Int) {
            if previous[slot] >= 0 { next[previous[slot]] = next[slot] } else { head = next[slot] }
            if next[slot] >= 0 { previous[next[slot]] = previous[slot] } else { tail = previous[slot] }
        }
        func pushFront(_ slot: Int) {
            previous[slot] = -1
            next[slot] = head
            if head >= 0 { previous[head] = slot }
            head = slot
            if tail < 0 { tail = slot }
        }
        var hits = 0
        for requested in keys {
            if let slot = slotOf[requested] {
                hits += 1
                unlink(slot)
                pushFront(slot)
                continue
            }
            let slot: Int
            if slotOf.count < capacity {
                slot = key.count
                key.append(requested)
                previous.append(-1)
                next.append(-1)
            } else {
                slot = tail
                unlink(slot)
                slotOf[key[slot]] = nil
                key[slot] = requested
            }
            slotOf[requested] = slot
            pushFront(slot)
        }
        return hits
    }

    /// Bélády's optimum with bypass: on a miss, of the cached keys and the requested one, the one
    /// requested furthest in the future (or never) is left out. No policy that sees only the past
    /// can hit more often — including W-TinyLFU, whose admission filter may reject a new key.
    static func optimalHits(_ keys: [UInt64], capacity: Int) -> Int {
        precondition(capacity > 0)
        let never = Int.max
        var nextUse = [Int](repeating: never, count: keys.count)
        var seen: [UInt64: Int] = [:]
        for index in keys.indices.reversed() {
            nextUse[index] = seen[keys[index]] ?? never
            seen[keys[index]] = index
        }
        // Cached key → the index of its next request; a max-heap of (next use, key) with stale
        // pairs skipped when they surface.
        var cached: [UInt64: Int] = [:]
        var heap = MaxHeap()
        var hits = 0
        for (index, requested) in keys.enumerated() {
            let upcoming = nextUse[index]
            if cached[requested] != nil {
                hits += 1
            } else if cached.count == capacity {
                while let top = heap.peek, cached[top.key] != top.nextUse { heap.pop() }
                let furthest = heap.peek!
                if furthest.nextUse <= upcoming { continue }  // the requested key is needed last: bypass
                heap.pop()
                cached[furthest.key] = nil
            }
            cached[requested] = upcoming
            heap.push((upcoming, requested))
        }
        return hits
    }

    struct MaxHeap {
        private var items: [(nextUse: Int, key: UInt64)] = []

        var peek: (nextUse: Int, key: UInt64)? { items.first }

        mutating func push(_ item: (nextUse: Int, key: UInt64)) {
            items.append(item)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[parent].nextUse < items[child].nextUse else { break }
                items.swapAt(parent, child)
                child = parent
            }
        }

        mutating func pop() {
            items.swapAt(0, items.count - 1)
            items.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var largest = parent
                if left < items.count, items[left].nextUse > items[largest].nextUse { largest = left }
                if right < items.count, items[right].nextUse > items[largest].nextUse { largest = right }
                guard largest != parent else { return }
                items.swapAt(parent, largest)
                parent = largest
            }
        }
    }
}
