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
    static let names = ["json", "sse", "record", "export-line", "yaml"]

    static func run(_ name: String, _ bytes: UnsafeBufferPointer<UInt8>) {
        switch name {
        case "json": json(bytes)
        case "sse": sse(bytes)
        case "record": record(bytes)
        case "export-line": exportLine(bytes)
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

    /// The configuration loader (YAML, substitution, typed reading, validation).
    static func yaml(_ bytes: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? ConfigLoader(path: nil, environment: ["HOME": "/root"]).load(text: text, source: "fuzz.yaml")
    }
}
