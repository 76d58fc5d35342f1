import CZstd
import Testing

@testable import Zstd

func sampleBody(_ index: Int) -> [UInt8] {
    Array(
        #"{"id":"chatcmpl-\#(index)","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Answer number \#(index) to the question, with some words."},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(index % 97),"completion_tokens":\#(index % 31),"total_tokens":\#(index % 128)}}"#
            .utf8)
}

@Suite struct ZstdTests {
    @Test func roundTrip() throws {
        let input = (0..<50).flatMap { sampleBody($0) }
        let frame = try ZstdCompressor().compress(input)
        #expect(frame.count < input.count / 3)
        let output = try ZstdDecompressor().decompress(frame, expectedSize: input.count, maximumSize: 1 << 20)
        #expect(output == input)
    }

    @Test func emptyInputRoundTrips() throws {
        let frame = try ZstdCompressor().compress([UInt8]())
        #expect(try ZstdDecompressor().decompress(frame, expectedSize: 0, maximumSize: 10) == [])
    }

    @Test func decompressionIsBoundedByTheRecordedSize() throws {
        let input = [UInt8](repeating: 7, count: 100_000)
        let frame = try ZstdCompressor().compress(input)
        let decompressor = try ZstdDecompressor()
        #expect(throws: ZstdError.self) {
            try decompressor.decompress(frame, expectedSize: 99_999, maximumSize: 1 << 20)
        }
        #expect(throws: ZstdError.self) {
            try decompressor.decompress(frame, expectedSize: 100_000, maximumSize: 50_000)
        }
    }

    @Test func framesWithoutAContentSizeAreRejected() throws {
        let context = ZSTD_createCCtx()!
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0)
        let input = [UInt8](repeating: 1, count: 1000)
        var output = [UInt8](repeating: 0, count: 2000)
        let written = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { ZSTD_compress2(context, out.baseAddress, out.count, $0.baseAddress, $0.count) }
        }
        let frame = Array(output[0..<written])
        #expect {
            try ZstdDecompressor().decompress(frame, expectedSize: 1000, maximumSize: 1 << 20)
        } throws: { error in
            (error as? ZstdError)?.message.contains("content size") == true
        }
    }

    @Test func dictionaryTrainingAndUse() throws {
        let samples = (0..<2_000).map(sampleBody)
        let dictionaryBytes = try ZstdDictionary.train(samples: samples, capacity: 16 * 1024)
        let dictionary = try ZstdDictionary(bytes: dictionaryBytes)
        #expect(dictionary.id != 0)
        let body = sampleBody(123_456)
        let compressor = try ZstdCompressor()
        let plain = try compressor.compress(body)
        let withDictionary = try compressor.compress(body, dictionary: dictionary)
        #expect(withDictionary.count < plain.count)
        let frameID = withDictionary.withUnsafeBytes { ZstdDecompressor.dictionaryID(of: $0) }
        #expect(frameID == dictionary.id)
        let decompressor = try ZstdDecompressor()
        #expect(
            try decompressor.decompress(
                withDictionary, expectedSize: body.count, maximumSize: 1 << 20, dictionary: dictionary) == body)
        #expect(throws: ZstdError.self) {
            try decompressor.decompress(withDictionary, expectedSize: body.count, maximumSize: 1 << 20)
        }
    }

    @Test func garbageIsNotADictionary() {
        #expect(throws: ZstdError.self) { try ZstdDictionary(bytes: [1, 2, 3, 4, 5, 6, 7, 8]) }
        #expect(throws: ZstdError.self) { try ZstdDictionary.train(samples: []) }
    }

    /// Thousands of seeded truncations and bit flips: each decompresses to the original, or
    /// fails with an error — never a crash, never more than the expected size.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func mutatedFramesNeverCrash(seed: UInt64) throws {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        let input = (0..<20).flatMap { sampleBody($0) }
        let frame = try ZstdCompressor().compress(input)
        let decompressor = try ZstdDecompressor()
        var failures = 0
        for _ in 0..<2_000 {
            var mutated = frame
            if next() % 3 == 0 {
                mutated.removeLast(Int(next() % UInt64(mutated.count)) + 1)
            } else {
                for _ in 0..<(1 + next() % 4) {
                    let index = Int(next() % UInt64(mutated.count))
                    mutated[index] ^= UInt8(1 << (next() % 8))
                }
            }
            do {
                let output = try decompressor.decompress(mutated, expectedSize: input.count, maximumSize: 1 << 20)
                #expect(output.count == input.count)
            } catch is ZstdError {
                failures += 1
            }
        }
        #expect(failures > 1_000, "most mutations must be detected")
    }

    @Test func poolReusesContextsAcrossTasks() async throws {
        let pool = ZstdContextPool(capacity: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for i in 0..<100 {
                        let body = sampleBody(task * 1000 + i)
                        let frame = try pool.withCompressor { try $0.compress(body) }
                        let back = try pool.withDecompressor {
                            try $0.decompress(frame, expectedSize: body.count, maximumSize: 1 << 20)
                        }
                        #expect(back == body)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
