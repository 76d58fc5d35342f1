import LLMCacheCore
import Zstd

/// Writes an export file: header, one line per record, end line; zstd-compressed as it goes. Or
/// the reviewable form (``RecordingFormat``): plain lines, no end line.
final class ExportFileWriter {
    private let output: FileOutput
    private let compressor: ZstdStreamCompressor?
    private(set) var records = 0

    init(path: String, store: String, created: Timestamp, form: ExportForm = .compact) throws {
        output = try FileOutput(path: path)
        switch form {
        case .compact:
            compressor = try ZstdStreamCompressor(level: 3)
            try write(bytes: ExportFormat.headerLine(store: store, created: created))
        case .recording:
            compressor = nil
            try write(bytes: RecordingFormat.headerLine(store: store))
        }
    }

    func write(_ record: ExportRecord) throws {
        try write(line: compressor == nil ? RecordingFormat.line(record) : ExportFormat.recordLine(record))
    }

    /// Writes a record line already made with `ExportFormat.recordLine` (or `RecordingFormat.line`).
    func write(line: [UInt8]) throws {
        try write(bytes: line)
        records += 1
    }

    private func write(bytes: [UInt8]) throws {
        try output.write(try compressor?.compress(bytes) ?? bytes)
    }

    /// Writes the end line (compact form) and closes the file.
    func finish() throws {
        if let compressor {
            try output.write(try compressor.compress(ExportFormat.trailerLine(records: records)))
            try output.write(try compressor.finish())
        }
        try output.close()
    }
}

/// The two forms of an export file.
public enum ExportForm: String, Sendable, CaseIterable {
    /// zstd-compressed JSON lines with a checksum per record and an end line (``ExportFormat``).
    case compact
    /// Plain JSON lines to commit and review (``RecordingFormat``).
    case recording

    /// The form a file name asks for: `.jsonl` is the reviewable form, anything else compact.
    public static func forPath(_ path: String) -> ExportForm {
        path.hasSuffix(".jsonl") ? .recording : .compact
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
        var lines = try ExportLineStream(path: path, maximumLineBytes: maximumLineBytes)
        while let chunk = try lines.next() {
            for (number, line) in chunk { try body(number, line) }
        }
    }
}

/// The lines of an export file pulled a read at a time (for callers that await between reads).
struct ExportLineStream {
    typealias Line = (number: Int, line: Result<ArraySlice<UInt8>, ToolkitError>)
    let path: String
    private let input: FileInput
    private var splitter: LineSplitter
    private let decompressor: ZstdStreamDecompressor?
    private var buffered: [UInt8]
    private var ended = false
    /// Damage met after the lines last returned: thrown by the next call.
    private var damage: ToolkitError?

    init(path: String, maximumLineBytes: Int) throws {
        self.path = path
        input = try FileInput(path: path)
        splitter = LineSplitter(maximumLineBytes: maximumLineBytes)
        buffered = try input.read()
        if buffered.isEmpty { throw ToolkitError("\(path) is empty") }
        let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        decompressor = buffered.starts(with: zstdMagic) ? try ZstdStreamDecompressor() : nil
    }

    /// The lines completed by the next read of the file; nil after the last. A damaged or
    /// truncated file throws once the lines before the damage were returned.
    mutating func next() throws -> [Line]? {
        if let damage {
            self.damage = nil
            throw damage
        }
        guard !ended else { return nil }
        var lines: [Line] = []
        let collect: (Int, Result<ArraySlice<UInt8>, ToolkitError>) throws -> Void = { lines.append(($0, $1)) }
        guard !buffered.isEmpty else {
            ended = true
            if let decompressor {
                do { try decompressor.finish() } catch { damage = ToolkitError("\(path) is truncated: \(error)") }
            }
            try splitter.finish(collect)
            return lines
        }
        if let decompressor {
            do {
                try buffered.withUnsafeBytes { bytes in
                    try decompressor.decompress(bytes) { piece in try splitter.feed(piece, collect) }
                }
            } catch let error as ToolkitError { throw error } catch {
                ended = true
                damage = ToolkitError("\(path): corrupt zstd data after line \(splitter.lineNumber): \(error)")
                return lines
            }
        } else {
            try splitter.feed(buffered[...], collect)
        }
        buffered = try input.read()
        return lines
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
        var records = try ExportRecordStream(self)
        while let chunk = try records.next() {
            for record in chunk { try body(record.line, record.store, record.record) }
        }
        return try records.outcome()
    }
}

/// The record lines of an export file pulled a read at a time (see
/// ``ExportFileReader/forEachRecord(_:)``), for callers that await between reads.
struct ExportRecordStream {
    typealias Record = (line: Int, store: String, record: Result<ExportRecord, ToolkitError>)
    private let path: String
    private var lines: ExportLineStream
    private var header: ExportFileReader.Outcome?
    private var trailer: Int?
    /// The file is in the reviewable form: its entries are stored as made at `now`.
    private var recording = false
    private let now: Timestamp

    init(_ reader: ExportFileReader, now: Timestamp = SystemClock().now()) throws {
        path = reader.path
        lines = try ExportLineStream(path: reader.path, maximumLineBytes: reader.maximumLineBytes)
        self.now = now
    }

    /// The records of the next read; nil at the end of the file, or once the file is damaged
    /// (``outcome()`` says how).
    mutating func next() throws -> [Record]? {
        guard header?.fileError == nil else { return nil }
        let chunk: [ExportLineStream.Line]
        do {
            guard let read = try lines.next() else { return nil }
            chunk = read
        } catch let error as ToolkitError where header != nil {
            header!.fileError = error.message
            return nil
        }
        var records: [Record] = []
        for (number, line) in chunk {
            // Blank lines of a reviewable file (left by an editor or a merge) are nothing.
            if recording, case .success(let bytes) = line, bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
                continue
            }
            let parsed: ExportFormat.Line
            do {
                let bytes = try line.get()
                parsed =
                    recording ? .record(try RecordingFormat.parse(bytes, created: now)) : try ExportFormat.parse(bytes)
            } catch let error as ToolkitError {
                guard let header else { throw ToolkitError("\(path) line \(number): \(error.message)") }
                self.header!.records += 1
                records.append((number, header.store, .failure(error)))
                continue
            }
            switch parsed {
            case .header(let version, let store):
                if let header {
                    records.append((number, header.store, .failure(ToolkitError("a second header"))))
                    continue
                }
                guard version == ExportFormat.version else {
                    throw ToolkitError(
                        "\(path): export format version \(version) is not supported (this build reads \(ExportFormat.version))"
                    )
                }
                header = ExportFileReader.Outcome(store: store)
            case .recordingHeader(let version, let store):
                guard header == nil else {
                    records.append((number, header!.store, .failure(ToolkitError("a second header"))))
                    continue
                }
                guard version == RecordingFormat.version else {
                    throw ToolkitError(
                        "\(path): recording format version \(version) is not supported (this build reads \(RecordingFormat.version))"
                    )
                }
                header = ExportFileReader.Outcome(store: store)
                recording = true
            case .trailer(let count):
                guard header != nil else { throw ToolkitError("\(path) line \(number): no export header") }
                trailer = count
            case .record(let record):
                guard header != nil else { throw ToolkitError("\(path) line \(number): no export header") }
                header!.records += 1
                records.append(
                    (
                        number, header!.store,
                        trailer == nil ? .success(record) : .failure(ToolkitError("record after the end line"))
                    ))
            }
        }
        return records
    }

    /// What reading the whole file found besides its records (after ``next()`` returned nil).
    func outcome() throws -> ExportFileReader.Outcome {
        guard var outcome = header else { throw ToolkitError("\(path) holds no export header") }
        if outcome.fileError == nil {
            if let trailer, trailer != outcome.records {
                outcome.fileError = "\(path): the end line counts \(trailer) records, the file holds \(outcome.records)"
            } else if trailer == nil && !recording {
                outcome.fileError = "\(path) has no end line: it is truncated"
            }
        }
        return outcome
    }
}
