/// A count-min sketch of 4-bit counters that estimates how often a key was seen recently
/// (the "TinyLFU" filter of W-TinyLFU).
///
/// Each 64-bit word holds sixteen counters; a key touches four of them, one per row, in four
/// different words. When the number of increments reaches `sampleSize` (ten times the capacity)
/// every counter is halved, so old popularity fades ("aging"). About 8 bytes per cached entry.
struct FrequencySketch {
    private(set) var table: [UInt64]
    private var tableMask: Int
    /// Increments since the last halving.
    private(set) var additions: Int
    /// Increments after which all counters are halved.
    private(set) var sampleSize: Int
    /// Entries the sketch is sized for.
    private(set) var capacity: Int

    private static let seeds: [UInt64] = [
        0xc3a5_c85c_97cb_3127, 0xb492_b66f_be98_f273, 0x9ae1_6a3b_2f90_404f, 0xcbf2_9ce4_8422_2325,
    ]
    private static let maximumCapacity = 1 << 26

    init(capacity: Int) {
        self.table = []
        self.tableMask = 0
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
        var length = 1
        while length < wanted { length <<= 1 }
        table = [UInt64](repeating: 0, count: length)
        tableMask = length - 1
        capacity = wanted
        sampleSize = 10 * wanted
        additions = 0
    }

    /// The estimated number of recent occurrences of `hash`, 0...15.
    func frequency(_ hash: UInt64) -> Int {
        let start = Int(truncatingIfNeeded: (hash & 3) << 2)
        var result = 15
        for row in 0..<4 {
            let index = indexOf(hash, row: row)
            let shift = UInt64((start + row) << 2)
            let count = Int(truncatingIfNeeded: (table[index] >> shift) & 0xf)
            result = min(result, count)
        }
        return result
    }

    /// Records one occurrence of `hash`, halving every counter when the sample is full.
    mutating func increment(_ hash: UInt64) {
        let start = Int(truncatingIfNeeded: (hash & 3) << 2)
        var added = false
        for row in 0..<4 {
            let index = indexOf(hash, row: row)
            let shift = UInt64((start + row) << 2)
            if (table[index] >> shift) & 0xf != 0xf {
                table[index] &+= 1 << shift
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

    @inline(__always)
    private func indexOf(_ hash: UInt64, row: Int) -> Int {
        var mixed = (hash &+ Self.seeds[row]) &* Self.seeds[row]
        mixed &+= mixed >> 32
        return Int(truncatingIfNeeded: mixed) & tableMask
    }
}
