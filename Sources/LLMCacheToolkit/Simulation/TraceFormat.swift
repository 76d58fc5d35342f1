import LLMCacheCore

/// The line formats `llmcache simulate` reads: those of the public ARC and LIRS research traces, and plain lines.
public enum TraceFormat: String, Sendable, CaseIterable {
    /// ARC traces: `start count ignored ignored` per line = keys `start ..< start+count`.
    case arc
    /// LIRS traces: one non-negative integer key per line; blank lines and lines starting with
    /// `*` are skipped, any other line that is not an integer is an error.
    case lirs
    /// One key per line, any token (surrounding white space trimmed, blank lines skipped).
    case lines

    /// Appends the keys of one line (1-based `number`) to `keys`.
    func parse(line: ArraySlice<UInt8>, number: Int, into keys: inout [UInt64]) throws(TraceError) {
        let fields = Self.fields(line)
        switch self {
        case .lines:
            guard !fields.isEmpty else { return }
            let trimmed = line[fields.first!.startIndex..<fields.last!.endIndex]
            keys.append(CacheKey.fnv1a(trimmed))
        case .lirs:
            guard let first = fields.first, first.first != UInt8(ascii: "*") else { return }
            guard fields.count == 1, let key = Self.integer(first) else {
                throw TraceError("line \(number): expected one integer key, got \(Self.quote(line))")
            }
            keys.append(key)
        case .arc:
            guard !fields.isEmpty else { return }
            guard fields.count >= 2, let start = Self.integer(fields[0]), let count = Self.integer(fields[1]) else {
                throw TraceError("line \(number): expected 'start count …' with integers, got \(Self.quote(line))")
            }
            guard count >= 1, count <= 1 << 20 else {
                throw TraceError("line \(number): block count \(count) is outside 1...\(1 << 20)")
            }
            let (end, overflow) = start.addingReportingOverflow(count)
            guard !overflow else { throw TraceError("line \(number): start + count overflows") }
            keys.append(contentsOf: start..<end)
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private static func fields(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        line.split(whereSeparator: isSpace)
    }

    private static func integer(_ token: ArraySlice<UInt8>) -> UInt64? {
        guard !token.isEmpty, token.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in token {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    /// The line for an error message: at most 60 bytes, invalid UTF-8 shown as �.
    private static func quote(_ line: ArraySlice<UInt8>) -> String {
        let shown = String(decoding: line.prefix(60), as: UTF8.self)
        return "'\(shown)\(line.count > 60 ? "…" : "")'"
    }
}
