import CMallocTrim
import NIOCore
import Testing

@testable import LLMCacheCore

/// What the memory tier charges for an entry is what the entry holds: one allocation of the size
/// the accounting formula says (asked of malloc itself), plus the per-entry overhead of the
/// tier's own structures; and what a hit gets back is what was stored.
@Suite struct MemoryTierAccountingTests {
    static let providerHeaders = [
        HeaderField(name: "content-type", value: "application/json"),
        HeaderField(name: "x-request-id", value: "req_8d1f0a4c2b"),
        HeaderField(name: "openai-processing-ms", value: "412"),
        HeaderField(name: "x-ratelimit-remaining-requests", value: "9999"),
        HeaderField(name: "Date", value: "Fri, 04 Dec 2026 19:54:17 GMT"),
        HeaderField(name: "X-Custom-Header-Nobody-Interns", value: String(repeating: "v", count: 300)),
        // Looks like a date, but is not exactly the form: kept as it is.
        HeaderField(name: "last-modified", value: "Fri, 04 Dec 2026 19:54:17 UTC"),
        HeaderField(name: "expires", value: "Thu, 04 Dec 2026 19:54:17 GMT"),  // the wrong weekday
    ]

    static func entries() -> [CacheEntry] {
        var made: [CacheEntry] = []
        for size in [0, 1, 15, 16, 17, 300, 336, 4_095, 20_000] {
            for headers in [[], Array(providerHeaders.prefix(5)), providerHeaders] {
                made.append(
                    CacheEntry(
                        namespace: size % 2 == 0 ? "" : "team-a", headers: headers,
                        body: ByteBuffer(repeating: 0x61, count: size), createdAt: Timestamp(nanosecondsSinceEpoch: 7)))
            }
        }
        var stream = made[5]
        stream.bodyKind = .stream(chunks: [
            StreamChunk(length: 100, delayMicroseconds: 5), StreamChunk(length: 236, delayMicroseconds: 70_000),
        ])
        stream.body = ByteBuffer(string: #"data: {"usage":{"prompt_tokens":12,"completion_tokens":3}}"# + "\n\n")
        stream.bodyKind = .stream(chunks: [StreamChunk(length: UInt32(stream.body.readableBytes), delayMicroseconds: 9)]
        )
        stream.expiresAt = Timestamp(nanosecondsSinceEpoch: 1_000)
        made.append(stream)
        return made
    }

    @Test func theAccountedAllocationIsTheOneMallocMade() throws {
        for entry in Self.entries() {
            let packed = try #require(PackedEntry.pack(entry))
            let usable = Int(llmcache_malloc_usable_size(packed.objectAddress))
            // glibc: a chunk is its usable size plus its 8-byte size word; a free chunk less than
            // 32 bytes larger than asked for is handed out whole (the rest could not be a chunk).
            #expect(
                (packed.allocatedBytes...packed.allocatedBytes + 16).contains(usable + 8),
                "entry of \(entry.body.readableBytes) bytes: malloc holds \(usable + 8)")
            #expect(MemoryTier.accountedBytes(of: entry, perEntryOverhead: 0) == packed.allocatedBytes)
        }
    }

    @Test func aPackedEntryGivesBackWhatWasStored() throws {
        for entry in Self.entries() {
            let unpacked = try #require(PackedEntry.pack(entry)).entry
            #expect(unpacked == entry)
            #expect(unpacked.usage == entry.usage)
        }
    }

    /// An answer of N bytes with a provider's usual headers costs N + the fixed part; the common
    /// header names and values cost a byte each.
    @Test func providerHeadersCostLittle() throws {
        let body = ByteBuffer(repeating: 0x61, count: 336)
        let bare = CacheEntry(body: body, createdAt: Timestamp(nanosecondsSinceEpoch: 1))
        var withHeaders = bare
        withHeaders.headers = Array(Self.providerHeaders.prefix(5))
        let headerText = withHeaders.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        let extra = MemoryTier.accountedBytes(of: withHeaders) - MemoryTier.accountedBytes(of: bare)
        #expect(extra < headerText / 2, "\(extra) bytes for \(headerText) bytes of header text")
        // The fixed part: object header 16, fields 48, header count 2, malloc's word 8, rounding
        // to 16, and the tier's own 96.
        #expect(MemoryTier.accountedBytes(of: bare) - 336 <= 16 + 48 + 2 + 8 + 6 + 96)
    }

    /// The per-entry overhead covers the tier's own structures: the node (with the key), its
    /// index slot at the index's lowest load, and its sketch share.
    @Test func theOverheadCoversTheTiersStructures() {
        let node = MemoryLayout<MemoryTierNode>.stride
        #expect(node == 64)
        let slot = MemoryLayout<UInt64>.stride * 4 / 3  // the index grows past 3/4 full
        let sketch = MemoryLayout<UInt64>.stride  // a word per entry at the sketch's capacity
        #expect(MemoryTier.defaultPerEntryOverhead >= node + slot + sketch)
    }

    @Test func entriesThatCannotBePackedAreRefusedAndSupersedeTheOldValue() throws {
        let tier = try MemoryTier(configuration: .init(maxBytes: 1 << 30, maxEntryFraction: 1))
        let key = CacheKey(identifier: 1)
        tier.put(key, CacheEntry(body: ByteBuffer(string: "old"), createdAt: Timestamp(nanosecondsSinceEpoch: 1)))
        let huge = CacheEntry(
            headers: [HeaderField(name: "x-big", value: String(repeating: "b", count: 70_000))],
            createdAt: Timestamp(nanosecondsSinceEpoch: 1))
        #expect(!tier.put(key, huge))
        #expect(tier.get(key) == nil)
        #expect(tier.stats.rejections == 1)
    }
}
