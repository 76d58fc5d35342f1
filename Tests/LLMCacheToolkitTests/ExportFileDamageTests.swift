import LLMCacheCore
import LLMCacheStore
import Testing

@testable import LLMCacheToolkit

/// Bad export files: every one gives a clear error naming the file or line, and nothing that
/// could be imported is lost.
@Suite struct ExportFileDamageTests {
    let scratch = ScratchDirectory()

    func exported(count: Int = 5) async throws -> (file: String, lines: [[UInt8]]) {
        let (store, _) = try makeStore(scratch.path + "/s", count: count)
        let file = scratch.path + "/good.llmc"
        _ = try await StoreExport.run(store: .disk(store), to: file, filter: EntryFilter(), now: now)
        return (file, try exportLines(file))
    }

    func importing(_ file: String, maximumLineBytes: Int = 1 << 20) async throws -> (StoreImport.Summary, DiskTier) {
        let store = try StoreAccess.openOrCreate(scratch.path + "/dest-\(file.split(separator: "/").last!)")
        return (
            try await StoreImport.run(
                file, into: .disk(store), options: .init(tenant: .shared, maximumLineBytes: maximumLineBytes), now: now),
            store
        )
    }

    @Test func truncatedZstdFileImportsWhatCameBeforeAndSaysSo() async throws {
        let (file, _) = try await exported(count: 2_000)
        let bytes = try readFile(file)
        let cut = scratch.path + "/cut.llmc"
        try writeFile(cut, Array(bytes.prefix(bytes.count * 2 / 3)))
        let (summary, store) = try await importing(cut)
        #expect(summary.fileError?.contains("truncated") == true)
        #expect(summary.imported > 0 && summary.imported < 2_000)
        #expect(store.stats.entries == summary.imported)
        #expect(try Verify.exportFile(cut).fileError != nil)
    }

    @Test func fileCutAtALineBoundaryHasNoEndLine() async throws {
        let (_, lines) = try await exported()
        let cut = scratch.path + "/noend.jsonl"
        try writePlainExport(cut, Array(lines.dropLast()))
        let (summary, _) = try await importing(cut)
        #expect(summary.imported == 5)
        #expect(summary.fileError?.contains("no end line") == true)
    }

    @Test func wrongVersionIsRefusedBeforeAnythingIsImported() async throws {
        let (_, lines) = try await exported()
        var header = String(decoding: lines[0], as: UTF8.self)
        header = header.replacingOccurrences(#""version":1"#, with: #""version":99"#)
        let file = scratch.path + "/v99.jsonl"
        try writePlainExport(file, [Array(header.utf8)] + lines.dropFirst())
        await #expect(throws: ToolkitError.self) { try await importing(file) }
        do {
            _ = try await importing(file)
        } catch let error as ToolkitError {
            #expect(error.message.contains("version 99 is not supported"))
        }
    }

    @Test func corruptChecksumNamesTheLineAndImportsTheRest() async throws {
        let (_, lines) = try await exported()
        var damaged = lines
        let index = damaged[2].lastIndex(of: UInt8(ascii: "1")) ?? damaged[2].count - 5
        damaged[2][index] = damaged[2][index] == UInt8(ascii: "7") ? UInt8(ascii: "8") : UInt8(ascii: "7")
        let file = scratch.path + "/crc.jsonl"
        try writePlainExport(file, damaged)
        let (summary, _) = try await importing(file)
        #expect(summary.imported == 4)
        #expect(summary.bad.count == 1 && summary.bad[0].line == 3)
        #expect(summary.bad[0].reason.contains("checksum mismatch"))
        let report = try Verify.exportFile(file)
        #expect(report.bad.map(\.location) == ["line 3"])
        #expect(report.fileError == nil)
    }

    @Test func emptyAndForeignFilesAreErrors() async throws {
        let empty = scratch.path + "/empty"
        try writeFile(empty, [])
        await #expect(throws: ToolkitError.self) { try await importing(empty) }
        let foreign = scratch.path + "/foreign.json"
        try writeFile(foreign, Array(#"{"hello":"world"}"#.utf8) + [0x0A])
        await #expect(throws: ToolkitError.self) { try await importing(foreign) }
        let binary = scratch.path + "/binary"
        try writeFile(binary, (0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7919) })
        await #expect(throws: ToolkitError.self) { try await importing(binary) }
        await #expect(throws: ToolkitError.self) { try await importing(scratch.path + "/missing") }
        #expect(throws: ToolkitError.self) { try Verify.exportFile(empty) }
    }

    @Test func hugeLineIsSkippedAndNamed() async throws {
        let (_, lines) = try await exported()
        let huge =
            Array(#"{"crc32":"00000000","record":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 300_000)
            + Array(#""}"#.utf8)
        let file = scratch.path + "/huge.jsonl"
        try writePlainExport(file, [lines[0], huge] + lines.dropFirst())
        let (summary, _) = try await importing(file, maximumLineBytes: 100_000)
        #expect(summary.bad.count == 1 && summary.bad[0].line == 2)
        #expect(summary.bad[0].reason.contains("longer than"))
        #expect(summary.imported == 5)
        // The end line counts the records written, so the extra line is also a count mismatch.
        #expect(summary.fileError?.contains("counts 5 records") == true)
    }

    @Test func recordWithAForgedKeyIsRefused() async throws {
        let (_, lines) = try await exported()
        // Rebuild line 2 with another key and a valid checksum: the key no longer matches its request.
        guard case .record(var record) = try ExportFormat.parse(lines[1][...]) else {
            Issue.record("line 2 is not a record")
            return
        }
        record.key = CacheKey(identifier: 42)
        let file = scratch.path + "/forged.jsonl"
        try writePlainExport(file, [lines[0], Array(ExportFormat.recordLine(record).dropLast())] + lines.dropFirst(2))
        let (summary, _) = try await importing(file)
        #expect(summary.bad.count == 1 && summary.bad[0].reason.contains("does not match its request"))
        #expect(try Verify.exportFile(file).bad.count == 1)
    }
}

extension String {
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension ExportFileDamageTests {
    @Test func fileCutInsideItsFirstBlockHasNothingToImport() async throws {
        let (file, _) = try await exported(count: 3)
        let bytes = try readFile(file)
        let cut = scratch.path + "/tiny-cut.llmc"
        try writeFile(cut, Array(bytes.prefix(bytes.count / 2)))
        await #expect(throws: ToolkitError.self) { try await importing(cut) }
    }
}
