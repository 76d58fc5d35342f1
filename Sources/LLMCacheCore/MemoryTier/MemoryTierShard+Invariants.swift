extension MemoryTierShard {
    /// Verifies the shard's invariants after a mutation; compiled in only with
    /// `LLMCACHE_INVARIANT_CHECKS` (debug builds, so every test runs them).
    ///
    /// The O(1) checks run every time; the full walk of lists and index runs on every operation
    /// while the shard is small and on every 256th once it is large.
    @inline(__always)
    func checkInvariants() {
        #if LLMCACHE_INVARIANT_CHECKS
            precondition(
                !isOverCapacity,
                "shard over capacity: weight \(totalWeight)/\(maximumWeight), count \(count)/\(maximumEntries)")
            precondition(lists.reduce(0) { $0 + $1.count } == count, "list counts do not add up to \(count)")
            precondition(
                lists.reduce(0) { $0 + $1.weight } == totalWeight, "list weights do not add up to \(totalWeight)")
            precondition(count >= 0 && totalBytes >= 0)
            if count <= 256 || (stats.hits + stats.misses + stats.insertions) % 256 == 0 {
                checkAllNodes()
            }
        #endif
    }

    #if LLMCACHE_INVARIANT_CHECKS
        private func checkAllNodes() {
            var seen = 0
            var bytes = 0
            for queue in [NodeQueue.window, .probation, .protected] {
                let list = lists[Int(queue.rawValue)]
                var index = list.head
                var previous: Int32 = -1
                var listCount = 0
                var listWeight = 0
                var lastFrequency: UInt32 = 0
                while index >= 0 {
                    let node = nodes[Int(index)]
                    precondition(node.queue == queue, "node \(index) on list \(queue) says \(node.queue)")
                    precondition(node.prev == previous, "broken back link at \(index)")
                    precondition(node.entry != nil || miniatureWindow != nil, "live node \(index) has no entry")
                    precondition(find(node.key) == index, "index does not find node \(index)")
                    if policy == .lfu {
                        precondition(node.frequency >= lastFrequency, "LFU list out of order at \(index)")
                        if node.next < 0 || nodes[Int(node.next)].frequency != node.frequency {
                            precondition(
                                lfuGroupTails[node.frequency] == index, "LFU group tail wrong for \(node.frequency)")
                        }
                        lastFrequency = node.frequency
                    }
                    listCount += 1
                    listWeight += weight(of: index)
                    bytes += Int(node.bytes)
                    previous = index
                    index = node.next
                }
                precondition(list.tail == previous, "tail of \(queue) is wrong")
                precondition(list.count == listCount && list.weight == listWeight, "totals of \(queue) are wrong")
                seen += listCount
            }
            precondition(seen == count, "lists hold \(seen) nodes, count says \(count)")
            precondition(bytes == totalBytes, "bytes \(bytes) != accounted \(totalBytes)")
            precondition(slots.lazy.filter { $0 != 0 }.count == count, "index size differs from count")
            if policy == .lfu {
                precondition(lfuGroupTails.count <= count, "stale LFU groups")
            }
            if policy != .wTinyLFU {
                precondition(
                    lists[Int(NodeQueue.window.rawValue)].count == 0
                        && lists[Int(NodeQueue.protected.rawValue)].count == 0)
            }
        }
    #endif
}
