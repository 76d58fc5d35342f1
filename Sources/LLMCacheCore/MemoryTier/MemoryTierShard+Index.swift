/// The key → node index: open addressing with linear probing over 8-byte slots, at most 3/4 full,
/// deletion by backward shift (no tombstones). A slot keeps the low 32 bits of `key.w0`, which
/// give both the home slot and a fingerprint, so most probes never touch a node.
extension MemoryTierShard {
    @inline(__always)
    private static func tag(_ key: CacheKey) -> UInt64 { key.w0 & 0xffff_ffff }

    /// The node holding `key`, if any.
    @inline(__always)
    func find(_ key: CacheKey) -> Int32? {
        let tag = Self.tag(key)
        var slot = Int(truncatingIfNeeded: tag) & slotMask
        while true {
            let value = slots[slot]
            if value == 0 { return nil }
            if value >> 32 == tag {
                let node = Int32(truncatingIfNeeded: value & 0xffff_ffff) - 1
                if nodes[Int(node)].key == key { return node }
            }
            slot = (slot + 1) & slotMask
        }
    }

    /// Adds `key` → `node`; the key must not be present.
    mutating func indexInsert(_ key: CacheKey, node: Int32) {
        if (count + 1) * 4 > slots.count * 3 { resizeIndex(to: slots.count * 2) }
        place(Self.tag(key) << 32 | UInt64(node + 1))
    }

    /// Removes `key`; it must be present.
    mutating func indexRemove(_ key: CacheKey) {
        let tag = Self.tag(key)
        var slot = Int(truncatingIfNeeded: tag) & slotMask
        while true {
            let value = slots[slot]
            precondition(value != 0, "memory tier index lost a key")
            if value >> 32 == tag, nodes[Int(Int32(truncatingIfNeeded: value & 0xffff_ffff) - 1)].key == key { break }
            slot = (slot + 1) & slotMask
        }
        // Backward shift: pull later members of the probe run into the hole when their home
        // slot is not cyclically inside (hole, current].
        var hole = slot
        var current = slot
        while true {
            current = (current + 1) & slotMask
            let value = slots[current]
            if value == 0 { break }
            let home = Int(truncatingIfNeeded: value >> 32) & slotMask
            let stays = hole <= current ? (home > hole && home <= current) : (home > hole || home <= current)
            if !stays {
                slots[hole] = value
                hole = current
            }
        }
        slots[hole] = 0
    }

    private mutating func place(_ value: UInt64) {
        var slot = Int(truncatingIfNeeded: value >> 32) & slotMask
        while slots[slot] != 0 { slot = (slot + 1) & slotMask }
        slots[slot] = value
    }

    private mutating func resizeIndex(to capacity: Int) {
        let old = slots
        slots = ContiguousArray(repeating: 0, count: capacity)
        slotMask = capacity - 1
        for value in old where value != 0 { place(value) }
    }
}
