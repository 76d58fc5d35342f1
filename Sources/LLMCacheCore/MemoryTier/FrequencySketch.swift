/// A count-min sketch of 4-bit counters that estimates how often a key was seen recently
/// (the "TinyLFU" filter of W-TinyLFU), laid out in blocks as Caffeine's is.
///
/// Each 64-bit word holds sixteen counters. A key maps to one 64-byte block (eight words, one
/// cache line) and to four counters in it, one per pair of words, so a lookup or an increment
/// costs one cache miss, not four. When the number of increments reaches `sampleSize` (ten
/// times the capacity) every counter is halved, so old popularity fades ("aging"). About 8
/// bytes per cached entry.
struct FrequencySketch {
    private(set) var table: [UInt64]
    /// Mask selecting a block (of eight words) from a hash.
    private var blockMask: Int
    /// Increments since the last halving.
    private(set) var additions: Int
    /// Increments after which all counters are halved.
    private(set) var sampleSize: Int
    /// Entries the sketch is sized for.
    private(set) var capacity: Int

    private static let maximumCapacity = 1 << 26

    init(capacity: Int) {
        self.table = []
        self.blockMask = 0
        self.additions = 0
        self.sampleSize = 0
        self.capacity = 0
        ensureCapacity(capacity)
    }

    /// Grows the table to fit `capacity` entries; growing forgets all counts (they are an estimate
    /// and refill quickly). Never shrinks.
    mutating func ensureCapacity(_ requested: Int) {
        let wanted = min(max(requested, 16), Self.maximumCapacity)
        guard wanted > capacity else { return }
        var length = 8
        while length < wanted { length <<= 1 }
        table = [UInt64](repeating: 0, count: length)
        blockMask = (length >> 3) - 1
        capacity = wanted
        sampleSize = 10 * wanted
        additions = 0
    }

    /// The estimated number of recent occurrences of `hash`, 0...15.
    func frequency(_ hash: UInt64) -> Int {
        let (block, counterHash) = locate(hash)
        var result: UInt64 = 15
        for row in 0..<4 {
            let h = counterHash >> UInt64(row << 3)
            let shift = ((h >> 1) & 15) << 2
            let word = block + Int(truncatingIfNeeded: h & 1) + (row << 1)
            result = min(result, (table[word] >> shift) & 0xf)
        }
        return Int(truncatingIfNeeded: result)
    }

    /// Records one occurrence of `hash`, halving every counter when the sample is full.
    mutating func increment(_ hash: UInt64) {
        let (block, counterHash) = locate(hash)
        var added = false
        for row in 0..<4 {
            let h = counterHash >> UInt64(row << 3)
            let shift = ((h >> 1) & 15) << 2
            let word = block + Int(truncatingIfNeeded: h & 1) + (row << 1)
            if (table[word] >> shift) & 0xf != 0xf {
                table[word] &+= 1 << shift
                added = true
            }
        }
        if added {
            additions += 1
            if additions >= sampleSize { halve() }
        }
    }

    /// Halves every counter (aging).
    private mutating func halve() {
        var odd = 0
        for index in table.indices {
            odd += (table[index] & 0x1111_1111_1111_1111).nonzeroBitCount
            table[index] = (table[index] >> 1) & 0x7777_7777_7777_7777
        }
        additions = (additions - (odd >> 2)) >> 1
    }

    /// The first word of the key's block, and an independent hash choosing counters in it.
    @inline(__always)
    private func locate(_ hash: UInt64) -> (block: Int, counterHash: UInt64) {
        let block = (Int(truncatingIfNeeded: hash) & blockMask) << 3
        var counterHash = (hash >> 32) &* 0x9e37_79b9_7f4a_7c15
        counterHash ^= counterHash >> 29
        return (block, counterHash)
    }
}
