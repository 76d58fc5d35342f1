import LLMCacheCore
import NIOCore
import Testing
import Zstd

@testable import LLMCacheStore

@Suite struct RecordCodecTests {
    let compressor = try! ZstdCompressor()
    let decompressor = try! ZstdDecompressor()

    func roundTrip(_ entry: CacheEntry, dictionary: ZstdDictionary? = nil) throws -> CacheEntry {
        let record = try RecordCodec.encode(entry, compressor: compressor, dictionary: dictionary)
        return try record.withUnsafeBytes {
            try RecordCodec.decode(
                $0, decompressor: decompressor, maximumRawLength: 1 << 20, dictionary: { _ in dictionary })
        }
    }

    @Test func completeEntryRoundTrips() throws {
        var entry = chatEntry(1, namespace: "team-a", expiresAt: Timestamp(secondsSinceEpoch: 1_800_000_000))
        entry.headers.append(HeaderField(name: "Set-Cookie", value: "session=secret"))
        entry.headers.append(HeaderField(name: "Transfer-Encoding", value: "chunked"))
        let back = try roundTrip(entry)
        var expected = entry
        expected.headers = entry.headers.filter(\.isStorable)
        #expect(back == expected)
        #expect(!back.headers.contains { $0.name.lowercased() == "set-cookie" }, "credentials are never stored")
    }

    @Test func streamEntryRoundTripsWithItsChunks() throws {
        let entry = streamEntry(3)
        #expect(try roundTrip(entry) == entry)
    }

    @Test func tinyEntriesAreStoredUncompressed() throws {
        let entry = CacheEntry(body: ByteBuffer(string: "{}"), createdAt: Timestamp(secondsSinceEpoch: 1))
        let record = try RecordCodec.encode(entry, compressor: compressor, dictionary: nil)
        let header = try record.withUnsafeBytes { try RecordCodec.header(of: $0) }
        #expect(header.flags & RecordFormat.compressedFlag == 0)
        #expect(try roundTrip(entry) == entry)
    }

    @Test func bodiesCompress() throws {
        let entry = chatEntry(9)
        let record = try RecordCodec.encode(entry, compressor: compressor, dictionary: nil)
        let header = try record.withUnsafeBytes { try RecordCodec.header(of: $0) }
        #expect(header.storedLength < header.rawLength)
    }

    /// CRC-32 catches every single-bit error: flipping any bit of a record makes it unreadable.
    @Test func everySingleBitFlipIsDetected() throws {
        let record = try RecordCodec.encode(chatEntry(5, namespace: "ns"), compressor: compressor, dictionary: nil)
        for index in record.indices {
            for bit in [0, 3, 7] {
                var damaged = record
                damaged[index] ^= UInt8(1 << bit)
                #expect(throws: (any Error).self, "flip of bit \(bit) at byte \(index)") {
                    try damaged.withUnsafeBytes {
                        try RecordCodec.decode(
                            $0, decompressor: decompressor, maximumRawLength: 1 << 20, dictionary: { _ in nil })
                    }
                }
            }
        }
    }

    @Test func truncationsAndGarbageAreErrors() throws {
        let record = try RecordCodec.encode(chatEntry(6), compressor: compressor, dictionary: nil)
        for length in [0, 3, 39, 40, record.count / 2, record.count - 1] {
            let cut = Array(record.prefix(length))
            #expect(throws: (any Error).self) {
                try cut.withUnsafeBytes {
                    try RecordCodec.decode(
                        $0, decompressor: decompressor, maximumRawLength: 1 << 20, dictionary: { _ in nil })
                }
            }
        }
        var state: UInt64 = 77
        for _ in 0..<500 {
            let garbage = (0..<Int(state % 300)).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            #expect(throws: (any Error).self) {
                try garbage.withUnsafeBytes {
                    try RecordCodec.decode(
                        $0, decompressor: decompressor, maximumRawLength: 1 << 20, dictionary: { _ in nil })
                }
            }
        }
    }

    @Test func aRecordLargerThanTheCapIsRefused() throws {
        let record = try RecordCodec.encode(chatEntry(7), compressor: compressor, dictionary: nil)
        #expect(throws: (any Error).self) {
            try record.withUnsafeBytes {
                try RecordCodec.decode($0, decompressor: decompressor, maximumRawLength: 100, dictionary: { _ in nil })
            }
        }
    }

    @Test func aMissingDictionaryIsAnError() throws {
        let samples = (0..<500).map { Array(chatBody($0).utf8) }
        let dictionary = try ZstdDictionary(bytes: try ZstdDictionary.train(samples: samples, capacity: 8192))
        let record = try RecordCodec.encode(chatEntry(8), compressor: compressor, dictionary: dictionary)
        #expect(try roundTrip(chatEntry(8), dictionary: dictionary) == chatEntry(8))
        #expect {
            try record.withUnsafeBytes {
                try RecordCodec.decode(
                    $0, decompressor: decompressor, maximumRawLength: 1 << 20, dictionary: { _ in nil })
            }
        } throws: { error in
            "\(error)".contains("dictionary")
        }
    }
}

@Suite struct RecordPayloadTests {
    /// A record whose checksum is right but whose contents are impossible (here: status 7) is
    /// refused, so nothing downstream ever sees it.
    @Test func anImpossibleStatusIsAnError() throws {
        var entry = chatEntry(1)
        entry.status = 7
        let record = try RecordCodec.encode(entry, compressor: try ZstdCompressor(), dictionary: nil)
        #expect {
            try record.withUnsafeBytes {
                try RecordCodec.decode(
                    $0, decompressor: try ZstdDecompressor(), maximumRawLength: 1 << 20, dictionary: { _ in nil })
            }
        } throws: { "\($0)".contains("status 7") }
    }
}
