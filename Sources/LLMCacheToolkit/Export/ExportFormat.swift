import CZlib
import LLMCacheCore
import NIOCore

/// The portable export file: JSON lines, zstd-compressed (`zstdcat FILE` shows them).
///
/// ```
/// {"created":"…","format":"llmcache-export","key_recipe":2,"store":"<store id>","version":1}
/// {"crc32":"<8 hex digits>","record":{…one entry…}}      ← one line per entry
/// {"end":{"records":N}}
/// ```
///
/// The CRC-32 covers the bytes of the `record` value exactly as they appear in the line. An
/// entry holds its request (method, path, upstream, model, answer-changing headers, tenant scope
/// — a keyed hash, never a credential — and canonical body) and its response (status, headers,
/// body as text or base64, stream chunk table). The store id names the store whose secret the
/// tenant scopes were made with.
public enum ExportFormat {
    public static let name = "llmcache-export"
    public static let version = 1
    /// Nesting allowed in a line: the request body's limit plus the record's own levels.
    static let maximumDepth = JSONParser.defaultMaximumDepth + 8
    static let recordPrefix = Array(#"{"crc32":""#.utf8)
    static let recordInfix = Array(#"","record":"#.utf8)

    /// What one line of an export file holds.
    public enum Line: Sendable {
        case header(version: Int, store: String)
        /// The header of the reviewable form (``RecordingFormat``): its lines follow that form.
        case recordingHeader(version: Int, store: String)
        case record(ExportRecord)
        case trailer(records: Int)
    }

    static func headerLine(store: String, created: Timestamp) -> [UInt8] {
        let value = JSONValue.object([
            JSONMember(key: "format", value: .string(name)),
            JSONMember(key: "version", value: .number(String(version))),
            JSONMember(key: "key_recipe", value: .number(String(CacheKeyRecipe.version))),
            JSONMember(key: "store", value: .string(store)),
            JSONMember(key: "created", value: .string(created.iso8601)),
        ])
        return CanonicalJSON.serialize(value) + [0x0A]
    }

    static func recordLine(_ record: ExportRecord) -> [UInt8] {
        let body = CanonicalJSON.serialize(record.json)
        let checksum = body.withUnsafeBytes { crc($0) }
        return recordPrefix + Array(hex8(checksum).utf8) + recordInfix + body + [UInt8(ascii: "}"), 0x0A]
    }

    static func trailerLine(records: Int) -> [UInt8] {
        Array(#"{"end":{"records":\#(records)}}"#.utf8) + [0x0A]
    }

    /// Parses one line (without its newline). Throws `ToolkitError` saying what is wrong.
    public static func parse(_ line: ArraySlice<UInt8>) throws -> Line {
        if line.starts(with: recordPrefix) {
            let checksumStart = line.startIndex + recordPrefix.count
            let bodyStart = checksumStart + 8 + recordInfix.count
            guard line.count > recordPrefix.count + 8 + recordInfix.count + 1, line.last == UInt8(ascii: "}"),
                line[(checksumStart + 8)..<bodyStart].elementsEqual(recordInfix),
                let stated = UInt32(
                    String(decoding: line[checksumStart..<(checksumStart + 8)], as: UTF8.self), radix: 16)
            else { throw ToolkitError("malformed record line") }
            let body = line[bodyStart..<(line.endIndex - 1)]
            let actual = body.withUnsafeBytes { crc($0) }
            guard actual == stated else {
                throw ToolkitError("checksum mismatch (stated \(hex8(stated)), computed \(hex8(actual)))")
            }
            let value: JSONValue
            do { value = try JSONParser.parse(body, maximumDepth: maximumDepth) } catch {
                throw ToolkitError("record is not valid JSON: \(error)")
            }
            return .record(try ExportRecord(json: value))
        }
        let value: JSONValue
        do { value = try JSONParser.parse(line, maximumDepth: 4) } catch {
            throw ToolkitError("not an export line: \(error)")
        }
        if let end = value["end"] {
            guard let count = end["records"].flatMap(\.intValue), count >= 0 else {
                throw ToolkitError("malformed end line")
            }
            return .trailer(records: count)
        }
        let format = value["format"]?.stringValue
        guard format == name || format == RecordingFormat.name else {
            throw ToolkitError("not an llmcache export (no \"format\":\"\(name)\" header)")
        }
        guard let found = value["version"].flatMap(\.intValue) else {
            throw ToolkitError("export header has no version")
        }
        let store = value["store"]?.stringValue ?? ""
        return format == name ? .header(version: found, store: store) : .recordingHeader(version: found, store: store)
    }

    static func crc(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return UInt32(truncatingIfNeeded: crc32(0, nil, 0)) }
        return UInt32(truncatingIfNeeded: crc32(0, base.assumingMemoryBound(to: UInt8.self), uInt(bytes.count)))
    }

    static func hex8(_ value: UInt32) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }
}
