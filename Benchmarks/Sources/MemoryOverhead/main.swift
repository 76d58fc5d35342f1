// Measures resident memory per entry, to derive the memory tier's own per-entry overhead.
//
// usage: MemoryOverhead plain|w-tinylfu|lru|lfu [entries] [body-bytes]
//
// `plain` holds the same keys and entries, packed as the tier packs them (`PackedEntry`), in an
// exactly-sized array: what the keys and values themselves occupy. A policy name holds them in a MemoryTier (16 shards, budget far above the
// data, so nothing is evicted). Run each in its own process (tools/memory-overhead.sh does);
// tier minus plain is the tier's cost per entry: index slot, policy node, sketch share and
// growth slack.

#if canImport(Glibc)
    import Glibc
#endif
import LLMCacheCore
import NIOCore

func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    guard fgets(&line, 256, file) != nil else { return 0 }
    let fields = String(cString: line).split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "plain"
let count = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
let bodySize = arguments.count > 3 ? Int(arguments[3]) ?? 16 : 16
let createdAt = Timestamp(secondsSinceEpoch: 0)

func makeEntry(_ index: Int) -> CacheEntry {
    CacheEntry(body: ByteBuffer(repeating: UInt8(truncatingIfNeeded: index), count: bodySize), createdAt: createdAt)
}

let before = residentBytes()
if mode == "plain" {
    var plain: [(CacheKey, PackedEntry)] = []
    plain.reserveCapacity(count)
    for index in 0..<count {
        guard let packed = PackedEntry.pack(makeEntry(index)) else { fatalError("entry \(index) cannot be packed") }
        plain.append((CacheKey(identifier: UInt64(index)), packed))
    }
    let grown = residentBytes() - before
    print("plain: \(grown / count) bytes/entry (\(count) entries, \(bodySize)-byte bodies)")
    withExtendedLifetime(plain) {}
} else if let policy = EvictionPolicy(rawValue: mode) {
    let tier = try MemoryTier(
        configuration: .init(maxBytes: 1 << 40, policy: policy, maxEntryFraction: 1, shardCount: 16))
    for index in 0..<count { tier.put(CacheKey(identifier: UInt64(index)), makeEntry(index)) }
    let grown = residentBytes() - before
    precondition(tier.stats.entries == count, "tier dropped entries")
    print("\(mode): \(grown / count) bytes/entry (\(count) entries, \(bodySize)-byte bodies)")
} else {
    print("usage: MemoryOverhead plain|w-tinylfu|lru|lfu [entries] [body-bytes]")
    exit(2)
}
