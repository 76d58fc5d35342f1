import Gzip
import NIOCore
import Testing

/// The decoder of compressed upstream answers, on its own.
@Suite struct GzipInflaterTests {
    let text = Array((0..<2_000).map { "line \($0) of a compressible answer\n" }.joined().utf8)

    func inflate(_ pieces: [[UInt8]], limit: Int = 1 << 24, deflate: Bool = false) throws(GzipError) -> [UInt8] {
        let inflater = try GzipInflater(maximumOutputBytes: limit, deflate: deflate)
        var out: [UInt8] = []
        for piece in pieces {
            for chunk in try inflater.inflate(ByteBuffer(bytes: piece)) { out += chunk.readableBytesView }
        }
        try inflater.finish()
        return out
    }

    @Test func splitAnywhereItDecodesToTheSameBytes() throws {
        let compressed = Gzip.compress(text)
        #expect(compressed.count < text.count / 4)
        for cut in [1, 2, 10, compressed.count / 2, compressed.count - 1] {
            #expect(try inflate([Array(compressed[..<cut]), Array(compressed[cut...])]) == text)
        }
        #expect(try inflate(compressed.map { [$0] }) == text, "one byte at a time")
    }

    @Test func concatenatedMembersAreOneBody() throws {
        let a = Array("first member ".utf8)
        let b = Array("second member".utf8)
        #expect(try inflate([Gzip.compress(a) + Gzip.compress(b)]) == a + b)
    }

    @Test func truncatedCorruptAndOversizedBodiesAreErrors() throws {
        let compressed = Gzip.compress(text)
        #expect(throws: GzipError.self) { try inflate([Array(compressed.dropLast(12))]) }
        var corrupt = compressed
        corrupt[20] ^= 0xFF
        corrupt[21] ^= 0xFF
        #expect(throws: GzipError.self) { try inflate([corrupt]) }
        #expect(throws: GzipError.self) { try inflate([Array("not gzip at all".utf8)]) }
        // A small body that decodes to more than the bound stops at the bound.
        let bomb = Gzip.compress([UInt8](repeating: 0, count: 4 << 20))
        #expect(bomb.count < 16 << 10)
        #expect(throws: GzipError.self) { try inflate([bomb], limit: 1 << 20) }
        #expect(try inflate([bomb], limit: 8 << 20).count == 4 << 20)
    }

    @Test func anEmptyBodyIsEmpty() throws {
        #expect(try inflate([]) == [])
    }
}
