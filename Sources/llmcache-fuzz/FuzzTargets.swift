import LLMCacheConfig
import LLMCacheCore
import NIOCore
import Zstd

@testable import LLMCacheServer
@testable import LLMCacheStore
@testable import LLMCacheToolkit

/// The input paths a fuzzer drives, by name. Each takes arbitrary bytes; it may reject them (an
/// error), never crash, hang or break an invariant (then it traps, and the fuzzer keeps the input).
enum FuzzTargets {
    static let names = ["json", "sse", "record", "export-line", "recording-line", "yaml"]

    static func run(_ name: String, _ bytes: UnsafeBufferPointer<UInt8>) {
        switch name {
        case "json": json(bytes)
        case "sse": sse(bytes)
        case "record": record(bytes)
        case "export-line": exportLine(bytes)
        case "recording-line": recordingLine(bytes)
        case "yaml": yaml(bytes)
        default: fatalError("unknown fuzz target \(name); one of \(names)")
        }
    }

    /// The strict parser, and canonical JSON as a fixed point: what parses serializes to bytes
    /// that parse to the same value and serialize to the same bytes.
    static func json(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = try? JSONParser.parse(bytes, maximumDepth: JSONParser.defaultMaximumDepth) else { return }
        let canonical = CanonicalJSON.serialize(value)
        guard let again = try? JSONParser.parse(canonical, maximumDepth: JSONParser.defaultMaximumDepth + 1) else {
            fatalError("canonical JSON does not parse: \(String(decoding: canonical, as: UTF8.self))")
        }
        precondition(CanonicalJSON.serialize(again) == canonical, "canonical JSON is not a fixed point")
        _ = try? RequestNormalizer.openAI.normalize(bytes)
    }

    /// The stream validator, over any bytes as a captured answer.
    static func sse(_ bytes: UnsafeBufferPointer<UInt8>) {
        let body = ByteBuffer(bytes: bytes)
        _ = AnswerValidation.endsWithTerminalEvent(body)
        _ = AnswerValidation.refusal(body: body, isStream: false)
    }

    /// One fuzzing thread: one decompressor, reused.
    nonisolated(unsafe) static let decompressor = try! ZstdDecompressor()

    /// The record decoder. The checksum is set right first (when the input is long enough), so
    /// the fuzzer reaches the header and payload checks behind it.
    static func record(_ bytes: UnsafeBufferPointer<UInt8>) {
        var record = Array(bytes)
        if record.count >= RecordFormat.Offset.checksum + 4 {
            let checksum = record.withUnsafeBytes { RecordCodec.checksumOf($0) }
            withUnsafeBytes(of: checksum.littleEndian) { raw in
                for index in 0..<4 { record[RecordFormat.Offset.checksum + index] = raw[index] }
            }
        }
        _ = try? record.withUnsafeBytes {
            try RecordCodec.decode($0, decompressor: decompressor, maximumRawLength: 1 << 20, dictionary: { _ in nil })
        }
    }

    /// One line of an export file.
    static func exportLine(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = try? JSONParser.parse(bytes, maximumDepth: 16) else { return }
        _ = try? ExportRecord(json: value["record"] ?? value)
    }

    /// One entry line of a reviewable recording; and, for the bytes as a stream body, the
    /// promise of its readable form: when events are offered for a body, they spell it exactly,
    /// and a written line reads back as the same entry.
    static func recordingLine(_ bytes: UnsafeBufferPointer<UInt8>) {
        let now = Timestamp(secondsSinceEpoch: 1_800_000_000)
        if let record = try? RecordingFormat.parse(ArraySlice(bytes), created: now) {
            let again = RecordingFormat.line(record)
            guard let reread = try? RecordingFormat.parse(again.dropLast()[...], created: now) else {
                fatalError("a written recording line does not read back")
            }
            precondition(reread.entry.body == record.entry.body, "the body changed on a round trip")
        }
        let body = Array(bytes)
        if let events = ServerSentEvents.events(exactlySpelling: body) {
            precondition((try? ServerSentEvents.text(events)) == body, "events that do not spell their body")
        }
        if let value = RecordingFormat.exactJSON(body[...]) {
            precondition(CanonicalJSON.serializeInOrder(value) == body, "JSON that does not spell its body")
        }
    }

    /// The configuration loader (YAML, substitution, typed reading, validation).
    static func yaml(_ bytes: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? ConfigLoader(path: nil, environment: ["HOME": "/root"]).load(text: text, source: "fuzz.yaml")
    }
}
