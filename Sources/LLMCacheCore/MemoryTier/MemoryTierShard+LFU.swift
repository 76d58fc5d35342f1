/// LFU in O(1): the main list is kept sorted by use count, oldest first within a count, and
/// `lfuGroupTails` remembers the last node of each count, so an access moves a node from the end
/// of its group to the end of the next group without a search. The head is the eviction victim.
extension MemoryTierShard {
    /// Links a new node with count 1 after the other count-1 nodes.
    mutating func lfuInsert(_ index: Int32) {
        nodes[Int(index)].frequency = 1
        link(index, after: lfuGroupTails[1] ?? -1, in: .main)
        lfuGroupTails[1] = index
    }

    /// Counts one more use of `index` and moves it to the end of its new count group.
    mutating func lfuTouch(_ index: Int32) {
        let frequency = nodes[Int(index)].frequency
        guard frequency < UInt32.max else {
            // Saturated: stay in the top group, as its most recent member.
            guard lfuGroupTails[frequency] != index else { return }
            let anchor = lfuGroupTails[frequency]!
            unlink(index)
            link(index, after: anchor, in: .main)
            lfuGroupTails[frequency] = index
            return
        }
        let previous = nodes[Int(index)].prev
        lfuDetach(index)
        let anchor = lfuGroupTails[frequency + 1] ?? lfuGroupTails[frequency] ?? previous
        unlink(index)
        nodes[Int(index)].frequency = frequency + 1
        link(index, after: anchor, in: .main)
        lfuGroupTails[frequency + 1] = index
    }

    /// Takes `index` out of its count group's bookkeeping (not off the list).
    mutating func lfuDetach(_ index: Int32) {
        let frequency = nodes[Int(index)].frequency
        guard lfuGroupTails[frequency] == index else { return }
        let previous = nodes[Int(index)].prev
        if previous >= 0 && nodes[Int(previous)].frequency == frequency {
            lfuGroupTails[frequency] = previous
        } else {
            lfuGroupTails[frequency] = nil
        }
    }
}
