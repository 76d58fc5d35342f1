import LLMCacheCore
import NIOCore
import Testing
import Zstd

@testable import LLMCacheStore

/// Format-2 records carry the request; format-1 records (no request section) stay readable.
@Suite struct RecordFormatVersionTests {
    let compressor = try! ZstdCompressor()
    let decompressor = try! ZstdDecompressor()

    func withRequest(_ index: Int) -> CacheEntry {
        var entry = chatEntry(index, namespace: "ns")
        entry.request = StoredRequest(
            method: "POST", path: "/v1/chat/completions", upstream: "openai",
            headers: [HeaderField(name: "openai-beta", value: "assistants=v2")], tenant: Array(repeating: 7, count: 32),
            model: "gpt-4o-mini")
        return entry
    }

    func decode(_ record: [UInt8]) throws -> CacheEntry {
        try record.withUnsafeBytes {
            try RecordCodec.decode($0, decompressor: decompressor, maximumRawLength: 1 << 20, dictionary: { _ in nil })
        }
    }

    @Test func theRequestRoundTripsAndIsReadableFromTheHeaderAlone() throws {
        let entry = withRequest(1)
        let record = try RecordCodec.encode(entry, compressor: compressor, dictionary: nil)
        #expect(try decode(record) == entry)
        let header = try record.withUnsafeBytes { try RecordCodec.header(of: $0) }
        #expect(header.request == entry.request)
        #expect(header.namespace == "ns")
    }

    /// A version-1 record: the same bytes without the request section, version byte 1.
    func versionOne(_ entry: CacheEntry) throws -> [UInt8] {
        var record = try RecordCodec.encode(entry, compressor: compressor, dictionary: nil)
        let namespaceEnd = RecordFormat.headerLength + entry.namespace.utf8.count
        let sectionLength = record.withUnsafeBytes {
            Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: namespaceEnd, as: UInt32.self)))
        }
        record.removeSubrange(namespaceEnd..<(namespaceEnd + 4 + sectionLength))
        record[RecordFormat.Offset.version] = 1
        let checksum = record.withUnsafeBytes { RecordCodec.checksumOf($0) }
        withUnsafeBytes(of: checksum.littleEndian) {
            for index in 0..<4 { record[RecordFormat.Offset.checksum + index] = $0[index] }
        }
        return record
    }

    @Test func versionOneRecordsAreStillRead() throws {
        let entry = withRequest(2)
        let decoded = try decode(try versionOne(entry))
        var expected = entry
        expected.request = nil
        #expect(decoded == expected)
    }

    @Test func aTruncatedRequestSectionIsCorruptNotACrash() throws {
        let entry = withRequest(3)
        let record = try RecordCodec.encode(entry, compressor: compressor, dictionary: nil)
        let sectionStart = RecordFormat.headerLength + entry.namespace.utf8.count
        for cut in stride(from: sectionStart, to: sectionStart + 60, by: 3) {
            #expect(throws: (any Error).self) { try decode(Array(record.prefix(cut))) }
        }
        var future = record
        future[RecordFormat.Offset.version] = 3
        #expect(throws: RecordError.self) { try decode(future) }
    }

    @Test func theRequestIndexFollowsPutsAndRemovals() throws {
        let scratch = ScratchDirectory()
        let tier = try DiskTier(configuration: .init(directory: scratch.path))
        let entry = withRequest(4)
        let recipe = try #require(entry.keyRecipe)
        tier.put(recipe.key, entry)
        tier.commitPending()
        var other = recipe
        other.canonicalBody = Array(#"{"messages":[],"model":"gpt-4o-mini"}"#.utf8)
        let explained = tier.explainMiss(other, model: "gpt-4o-mini")
        #expect(explained.compared == 1 && explained.nearest?.key == recipe.key)
        tier.remove(recipe.key)
        tier.commitPending()
        #expect(tier.explainMiss(other, model: "gpt-4o-mini").compared == 0)
        let count = try tier.environment.read { try $0.count(tier.schema.requests) }
        #expect(count == 0, "the index entry goes with its record")
    }
}

extension RecordFormatVersionTests {
    @Test func aFormatOneStoreIsUpgradedAndAFutureOneRefused() throws {
        let scratch = ScratchDirectory()
        do {
            let tier = try DiskTier(configuration: .init(directory: scratch.path))
            tier.put(CacheKey(identifier: 1), chatEntry(1))
            tier.commitPending()
            try tier.environment.write {
                try $0.put(tier.schema.meta, key: StoreSchema.formatKey, value: StoreSchema.encode(UInt32(1)))
            }
        }
        do {
            let reopened = try DiskTier(configuration: .init(directory: scratch.path))
            #expect(reopened.get(CacheKey(identifier: 1)) != nil, "the old store's records are still served")
            let format = try reopened.environment.read { try $0.get(reopened.schema.meta, key: StoreSchema.formatKey) }
            #expect(format == StoreSchema.encode(UInt32(2)))
            try reopened.environment.write {
                try $0.put(reopened.schema.meta, key: StoreSchema.formatKey, value: StoreSchema.encode(UInt32(9)))
            }
        }
        #expect(throws: RecordError.self) { _ = try DiskTier(configuration: .init(directory: scratch.path)) }
    }
}
