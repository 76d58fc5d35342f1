import Testing

@testable import LLMCacheCore

@Suite struct CacheKeyTests {
    @Test func hexRoundTrips() throws {
        let original = CacheKey(identifier: 12345)
        let parsed = try #require(CacheKey(hex: original.hex))
        #expect(parsed == original)
        #expect(original.hex.count == 64)
        #expect(CacheKey(hex: original.hex.uppercased()) == original)
    }

    @Test func digestBytesRoundTrip() throws {
        let bytes = (0..<32).map { UInt8($0 * 7) }
        let key = try #require(CacheKey(digest: bytes))
        #expect(key.bytes == bytes)
        #expect(key.hex.hasPrefix("00070e15"))
    }

    @Test(arguments: ["", "abc", String(repeating: "g", count: 64), String(repeating: "0", count: 63)])
    func badHexIsRejected(_ text: String) {
        #expect(CacheKey(hex: text) == nil)
    }

    @Test func digestOfWrongLengthIsRejected() {
        #expect(CacheKey(digest: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(CacheKey(digest: [UInt8](repeating: 1, count: 33)) == nil)
    }

    @Test func identifiersSpreadOverWords() {
        let keys = (0..<1000).map { CacheKey(identifier: UInt64($0)) }
        #expect(Set(keys).count == 1000)
        #expect(Set(keys.map { $0.w2 & 15 }).count == 16, "shard bits must be used evenly")
        #expect(CacheKey(token: Array("a".utf8)) != CacheKey(token: Array("b".utf8)))
    }
}

@Suite struct TimestampTests {
    @Test func addingSaturates() {
        let start = Timestamp(secondsSinceEpoch: 10)
        #expect(start.adding(.seconds(5)) == Timestamp(secondsSinceEpoch: 15))
        #expect(start.adding(.seconds(Int64.max)) == .distantFuture)
        #expect(Timestamp.distantFuture.adding(.seconds(1)) == .distantFuture)
        #expect(Timestamp(secondsSinceEpoch: 20).duration(since: start) == .seconds(10))
    }

    @Test func manualClockMovesOnlyWhenTold() {
        let clock = ManualClock(Timestamp(secondsSinceEpoch: 100))
        #expect(clock.now() == Timestamp(secondsSinceEpoch: 100))
        clock.advance(by: .milliseconds(1500))
        #expect(clock.now() == Timestamp(nanosecondsSinceEpoch: 101_500_000_000))
    }
}
