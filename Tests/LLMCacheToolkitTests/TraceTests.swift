import Testing

import LLMCacheCore
@testable import LLMCacheToolkit

#if canImport(Glibc)
    import Glibc
#endif

/// Files for the trace reader, written into a scratch directory.
extension ScratchDirectory {
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = "\(path)/\(name)"
        try! writeFile(file, bytes)
        return file
    }

    func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }

    /// Gzips `text` with the system's gzip (the format produced by real tools).
    func writeGzip(_ name: String, _ text: String) -> String {
        let plain = write(name + ".plain", text)
        precondition(system("gzip -c '\(plain)' > '\(path)/\(name)'") == 0)
        return "\(path)/\(name)"
    }
}

@Suite struct TraceParsingTests {
    let directory = ScratchDirectory()

    @Test func arcLinesExpandToBlockRanges() throws {
        let path = directory.write("t.arc", "10 3 0 0\n5 1 0 0\n")
        #expect(try Trace.load(path: path, format: .arc).keys == [10, 11, 12, 5])
    }

    @Test func lirsSkipsCommentsBlankLinesAndCarriageReturns() throws {
        let path = directory.write("t.lirs", "* header\n1\r\n\n2\n  3  \n")
        #expect(try Trace.load(path: path, format: .lirs).keys == [1, 2, 3])
    }

    @Test func linesFormatTakesAnyToken() throws {
        let path = directory.write("t.txt", "alpha\nbeta\n\n  alpha  \ngamma")
        let keys = try Trace.load(path: path, format: .lines).keys
        #expect(keys.count == 4)
        #expect(keys[0] == keys[2] && keys[0] != keys[1] && keys[3] != keys[1])
    }

    @Test func gzipFilesAreReadTransparently() throws {
        let text = (0..<100_000).map { "\($0 % 977)" }.joined(separator: "\n")
        let path = directory.writeGzip("t.gz", text)
        let trace = try Trace.load(path: path, format: .lirs)
        #expect(trace.keys.count == 100_000)
        #expect(trace.keys[976] == 976 && trace.keys[977] == 0)
    }

    @Test func concatenatedGzipMembersAreRead() throws {
        let first = directory.writeGzip("a.gz", "1\n2\n")
        let second = directory.writeGzip("b.gz", "3\n")
        #expect(system("cat '\(first)' '\(second)' > '\(directory.path)/ab.gz'") == 0)
        #expect(try Trace.load(path: "\(directory.path)/ab.gz", format: .lirs).keys == [1, 2, 3])
    }

    // MARK: - Bad input

    func expectError(_ path: String, _ format: TraceFormat, containing fragment: String) {
        #expect {
            try Trace.load(path: path, format: format)
        } throws: { error in
            guard let error = error as? TraceError else { return false }
            return error.message.contains(fragment) && error.message.contains(path)
        }
    }

    @Test func missingFileIsAClearError() {
        expectError("\(directory.path)/nope", .lirs, containing: "cannot open")
    }

    @Test func emptyFileIsNotASilentZero() {
        expectError(directory.write("empty", ""), .lirs, containing: "no requests")
        expectError(directory.write("comments", "* only\n\n"), .lirs, containing: "no requests")
    }

    @Test func malformedLinesNameTheLine() {
        expectError(directory.write("a", "1\n2\nthree\n"), .lirs, containing: "line 3")
        expectError(directory.write("b", "1 2\n4 x 0 0\n"), .arc, containing: "line 2")
        expectError(directory.write("c", "7\n"), .arc, containing: "line 1")
        expectError(directory.write("d", "1 0 0 0\n"), .arc, containing: "block count 0")
        expectError(directory.write("e", "18446744073709551615 5 0 0\n"), .arc, containing: "overflows")
        expectError(directory.write("f", "99999999999999999999999\n"), .lirs, containing: "line 1")
    }

    @Test func binaryGarbageIsRejected() {
        var generator = SplitMix64(seed: 9)
        let garbage = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        expectError(directory.write("bin", garbage), .lirs, containing: "line")
    }

    @Test func hugeLineIsRejected() {
        let path = directory.write("long", String(repeating: "1", count: 100_000))
        expectError(path, .lines, containing: "longer than")
    }

    @Test func truncatedGzipIsRejected() throws {
        let text = (0..<50_000).map(String.init).joined(separator: "\n")
        let path = directory.writeGzip("full.gz", text)
        let handle = fopen(path, "rb")!
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        let count = fread(&bytes, 1, bytes.count, handle)
        fclose(handle)
        let truncated = directory.write("cut.gz", Array(bytes[0..<(count / 2)]))
        expectError(truncated, .lirs, containing: "truncated")
    }

    @Test func corruptGzipIsRejected() throws {
        let path = directory.writeGzip("ok.gz", (0..<5_000).map(String.init).joined(separator: "\n"))
        let handle = fopen(path, "rb")!
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        let count = fread(&bytes, 1, bytes.count, handle)
        fclose(handle)
        var corrupt = Array(bytes[0..<count])
        for index in stride(from: 20, to: count - 8, by: 7) { corrupt[index] ^= 0x5a }
        expectError(directory.write("bad.gz", corrupt), .lirs, containing: "gzip")
    }
}

@Suite struct TraceSimulatorTests {
    @Test func zipfIsDeterministicAndSkewed() {
        let a = Trace.zipf(keySpace: 1_000, requests: 10_000, exponent: 1.0, seed: 1)
        let b = Trace.zipf(keySpace: 1_000, requests: 10_000, exponent: 1.0, seed: 1)
        #expect(a.keys == b.keys)
        let zeros = a.keys.filter { $0 == 0 }.count
        // P(rank 1) = 1 / H(1000) ≈ 13.4 %.
        #expect(zeros > 1_100 && zeros < 1_600)
        #expect(a.keys.allSatisfy { $0 < 1_000 })
    }

    /// The LRU stack model: deterministic, a quarter new keys, reuses mostly shallow — so exact
    /// LRU with room for a few mean depths hits nearly every reuse.
    @Test func recencyIsDeterministicAndReusesRecentKeys() {
        let a = Trace.recency(requests: 20_000, meanDepth: 50, newKeyFraction: 0.25, seed: 3)
        #expect(a.keys == Trace.recency(requests: 20_000, meanDepth: 50, newKeyFraction: 0.25, seed: 3).keys)
        let distinct = a.uniqueKeyCount
        #expect(distinct > 4_600 && distinct < 5_400, "\(distinct) new keys of 20,000")
        let lru = ReferenceCaches.lruHits(a.keys, capacity: 500)
        #expect(Double(lru) > 0.98 * Double(a.keys.count - distinct), "LRU hits \(lru)")
    }

    /// Phases keep their own keys: nothing learned in one phase is asked for in the next.
    @Test func phasesDoNotShareKeys() {
        let first = Trace.zipf(keySpace: 100, requests: 1_000, exponent: 1.0, seed: 1)
        let second = Trace.recency(requests: 1_000, meanDepth: 10, newKeyFraction: 0.25, seed: 2)
        let whole = Trace.phases([first, second])
        #expect(whole.keys.count == 2_000)
        #expect(Set(whole.keys.prefix(1_000)).isDisjoint(with: Set(whole.keys.suffix(1_000))))
        #expect(Array(whole.keys.prefix(1_000)) == first.keys)
    }
}

@Suite struct SimulationReportTests {
    let results = [
        SimulationResult(policy: .wTinyLFU, capacity: 100, requests: 1_000, hits: 405),
        SimulationResult(policy: .lru, capacity: 100, requests: 1_000, hits: 10),
    ]

    @Test func jsonLinesCarryEveryField() {
        let line = SimulationReport.json(results[0], trace: "a \"quoted\" name")
        #expect(
            line
                == #"{"trace":"a \"quoted\" name","policy":"w-tinylfu","capacity":100,"requests":1000,"hits":405,"hit_ratio":0.405}"#
        )
    }

    @Test func tableHasARowPerCapacityAndAColumnPerPolicy() {
        let table = SimulationReport.table(results, trace: Trace(name: "t", keys: [1, 2, 2]))
        let lines = table.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "trace t: 3 requests, 2 distinct keys")
        #expect(lines[1].contains("w-tinylfu") && lines[1].contains("lru"))
        #expect(lines[2].contains("40.50 %") && lines[2].contains("1.00 %"))
    }
}
