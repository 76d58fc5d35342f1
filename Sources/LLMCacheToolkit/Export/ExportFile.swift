import LLMCacheCore
import Zstd

/// Writes an export file: header, one line per record, end line; zstd-compressed as it goes.
final class ExportFileWriter {
    private let output: FileOutput
    private let compressor: ZstdStreamCompressor
    private(set) var records = 0

    init(path: String, store: String, created: Timestamp) throws {
        output = try FileOutput(path: path)
        compressor = try ZstdStreamCompressor(level: 3)
        try output.write(try compressor.compress(ExportFormat.headerLine(store: store, created: created)))
    }

    func write(_ record: ExportRecord) throws {
        try write(line: ExportFormat.recordLine(record))
    }

    /// Writes a record line already made with `ExportFormat.recordLine`.
    func write(line: [UInt8]) throws {
        try output.write(try compressor.compress(line))
        records += 1
    }

    /// Writes the end line and closes the file.
    func finish() throws {
        try output.write(try compressor.compress(ExportFormat.trailerLine(records: records)))
        try output.write(try compressor.finish())
        try output.close()
    }
}

/// Reads an export file line by line: zstd-compressed or plain JSON lines (detected by the
/// magic number), lines bounded by `maximumLineBytes`. A line that is too long is reported (as
/// a failed line) and skipped; a truncated zstd stream is an error after the last whole line.
struct ExportFileReader {
    let path: String
    var maximumLineBytes: Int = 160 << 20

    /// Calls `body` with each line's number (from 1) and bytes, or the reason it was skipped.
    func forEachLine(_ body: (_ number: Int, _ line: Result<ArraySlice<UInt8>, ToolkitError>) throws -> Void) throws {
        let input = try FileInput(path: path)
        var splitter = LineSplitter(maximumLineBytes: maximumLineBytes)
        var first = try input.read()
        if first.isEmpty { throw ToolkitError("\(path) is empty") }
        let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        if first.starts(with: zstdMagic) {
            let decompressor = try ZstdStreamDecompressor()
            while !first.isEmpty {
                do {
                    try first.withUnsafeBytes { bytes in
                        try decompressor.decompress(bytes) { piece in try splitter.feed(piece, body) }
                    }
                } catch let error as ToolkitError { throw error } catch {
                    throw ToolkitError("\(path): corrupt zstd data after line \(splitter.lineNumber): \(error)")
                }
                first = try input.read()
            }
            do { try decompressor.finish() } catch {
                try splitter.finish(body)
                throw ToolkitError("\(path) is truncated: \(error)")
            }
        } else {
            while !first.isEmpty {
                try splitter.feed(first[...], body)
                first = try input.read()
            }
        }
        try splitter.finish(body)
    }
}

/// Splits bytes into lines across chunk boundaries, refusing (and skipping) lines over a size
/// limit. Export files skip such a line; traces stop at it.
struct LineSplitter {
    let maximumLineBytes: Int
    private(set) var lineNumber = 0
    private var pending: [UInt8] = []
    private var skipping = false

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    mutating func feed(
        _ bytes: ArraySlice<UInt8>, _ body: (Int, Result<ArraySlice<UInt8>, ToolkitError>) throws -> Void
    ) throws {
        var rest = bytes
        while let newline = rest.firstIndex(of: 0x0A) {
            let piece = rest[rest.startIndex..<newline]
            rest = rest[(newline + 1)...]
            lineNumber += 1
            if skipping {
                skipping = false
                continue
            }
            if pending.isEmpty {
                try body(lineNumber, piece.count > maximumLineBytes ? .failure(tooLong) : .success(piece))
            } else {
                pending += piece
                if pending.count > maximumLineBytes {
                    try body(lineNumber, .failure(tooLong))
                } else {
                    try body(lineNumber, .success(pending[...]))
                }
                pending.removeAll(keepingCapacity: true)
            }
        }
        guard !skipping else { return }
        pending += rest
        if pending.count > maximumLineBytes {
            try body(lineNumber + 1, .failure(tooLong))
            pending.removeAll()
            skipping = true
        }
    }

    /// A last line without a newline.
    mutating func finish(_ body: (Int, Result<ArraySlice<UInt8>, ToolkitError>) throws -> Void) throws {
        guard !pending.isEmpty, !skipping else { return }
        lineNumber += 1
        try body(lineNumber, .success(pending[...]))
        pending.removeAll()
    }

    private var tooLong: ToolkitError { ToolkitError("line is longer than \(maximumLineBytes) bytes") }
}

extension ExportFileReader {
    /// What reading a whole export file found besides its records.
    struct Outcome {
        /// The store id of the header.
        var store: String
        /// Records lines met (good or bad).
        var records = 0
        /// A problem with the file as a whole: truncated, no end line, count mismatch.
        var fileError: String?
    }

    /// Reads the header (a missing or unsupported one throws: nothing is read), then hands each
    /// record line to `body` as a record or the reason it is bad, and checks the end line.
    /// `body` also receives the header's store id.
    func forEachRecord(
        _ body: (_ line: Int, _ store: String, Result<ExportRecord, ToolkitError>) throws -> Void
    ) throws -> Outcome {
        var outcome: Outcome?
        var trailer: Int?
        do {
            try forEachLine { number, line in
                let parsed: ExportFormat.Line
                do {
                    parsed = try ExportFormat.parse(try line.get())
                } catch let error as ToolkitError {
                    guard outcome != nil else { throw ToolkitError("\(path) line \(number): \(error.message)") }
                    outcome!.records += 1
                    try body(number, outcome!.store, .failure(error))
                    return
                }
                switch parsed {
                case .header(let version, let store):
                    if let outcome { return try body(number, outcome.store, .failure(ToolkitError("a second header"))) }
                    guard version == ExportFormat.version else {
                        throw ToolkitError(
                            "\(path): export format version \(version) is not supported (this build reads \(ExportFormat.version))"
                        )
                    }
                    outcome = Outcome(store: store)
                case .trailer(let count):
                    guard outcome != nil else { throw ToolkitError("\(path) line \(number): no export header") }
                    trailer = count
                case .record(let record):
                    guard outcome != nil else { throw ToolkitError("\(path) line \(number): no export header") }
                    outcome!.records += 1
                    try body(
                        number, outcome!.store,
                        trailer == nil ? .success(record) : .failure(ToolkitError("record after the end line")))
                }
            }
        } catch let error as ToolkitError where outcome != nil {
            outcome!.fileError = error.message
        }
        guard var outcome else { throw ToolkitError("\(path) holds no export header") }
        if outcome.fileError == nil {
            if let trailer, trailer != outcome.records {
                outcome.fileError = "\(path): the end line counts \(trailer) records, the file holds \(outcome.records)"
            } else if trailer == nil {
                outcome.fileError = "\(path) has no end line: it is truncated"
            }
        }
        return outcome
    }
}
