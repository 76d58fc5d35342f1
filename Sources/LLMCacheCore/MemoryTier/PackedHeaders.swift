/// A ``PackedEntry``'s response headers as bytes: the number of fields (2 bytes), then per field, its name then its value, each either
/// one byte naming an entry of a table of what the providers send on every answer (header names,
/// content types…) or `0xFF`, a 2-byte length and the bytes. Most of an answer's header text is
/// the same in every entry; here it costs a byte. Rebuilt fields reuse the table's strings, so
/// decoding allocates only the array and any value longer than a small string.
///
/// The tables are the process's own (the memory tier is never written anywhere): they may change
/// between versions freely.
enum PackedHeaders {
    static let literal: UInt8 = 0xFF
    static let date: UInt8 = 0xFE

    static let names: [String] = [
        "content-type", "content-encoding", "cache-control", "vary", "server", "date", "via", "age", "etag",
        "x-request-id", "request-id", "openai-processing-ms", "openai-organization", "openai-version",
        "openai-project", "openai-model", "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests",
        "x-ratelimit-reset-tokens", "anthropic-organization-id", "anthropic-ratelimit-requests-limit",
        "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset",
        "anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-tokens-reset", "anthropic-ratelimit-input-tokens-limit",
        "anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset",
        "anthropic-ratelimit-output-tokens-limit", "anthropic-ratelimit-output-tokens-remaining",
        "anthropic-ratelimit-output-tokens-reset", "retry-after", "x-should-retry", "cf-ray", "cf-cache-status",
        "x-envoy-upstream-service-time", "strict-transport-security", "x-content-type-options",
        "access-control-expose-headers", "alt-svc",
        // As HTTP/1 servers spell them (names are kept as received).
        "Content-Type", "Content-Encoding", "Cache-Control", "Vary", "Server", "Date", "Via", "Age", "ETag",
        "X-Request-Id", "X-Request-ID", "Retry-After", "Alt-Svc", "Strict-Transport-Security",
        "X-Content-Type-Options", "Access-Control-Expose-Headers", "CF-RAY", "CF-Cache-Status",
    ]

    static let values: [String] = [
        "application/json", "application/json; charset=utf-8", "text/event-stream",
        "text/event-stream; charset=utf-8", "text/plain; charset=utf-8", "gzip", "br", "no-cache", "nosniff",
        "cloudflare", "DYNAMIC", "2020-10-01", "true", "false", "Accept-Encoding",
        "max-age=31536000; includeSubDomains; preload", "h3=\":443\"; ma=86400",
    ]

    private static let nameCodes = codes(names)
    private static let valueCodes = codes(values)

    private static func codes(_ table: [String]) -> [String: UInt8] {
        precondition(table.count < Int(date))
        return Dictionary(uniqueKeysWithValues: table.enumerated().map { ($1, UInt8($0)) })
    }

    /// The bytes of `headers`; nil past 65,535 fields or when a name or value is longer than
    /// 65,535 bytes.
    static func encode(_ headers: [HeaderField]) -> [UInt8]? {
        guard headers.count <= Int(UInt16.max) else { return nil }
        var bytes: [UInt8] = [UInt8(headers.count >> 8), UInt8(headers.count & 0xFF)]
        bytes.reserveCapacity(2 + headers.count * 8)
        for header in headers {
            guard append(header.name, codes: nameCodes, to: &bytes) else { return nil }
            if let seconds = HTTPDate.exactSeconds(header.value), let time = UInt32(exactly: seconds) {
                bytes.append(date)
                withUnsafeBytes(of: time.littleEndian) { bytes += $0 }
                continue
            }
            guard append(header.value, codes: valueCodes, to: &bytes) else { return nil }
        }
        return bytes
    }

    private static func append(_ text: String, codes: [String: UInt8], to bytes: inout [UInt8]) -> Bool {
        if let code = codes[text] {
            bytes.append(code)
            return true
        }
        let count = text.utf8.count
        guard count <= Int(UInt16.max) else { return false }
        bytes.append(literal)
        bytes.append(UInt8(count >> 8))
        bytes.append(UInt8(count & 0xFF))
        bytes += text.utf8
        return true
    }

    /// The fields `encode` wrote into `bytes` (which it made: not checked again).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> [HeaderField] {
        guard bytes.count >= 2 else { return [] }
        var headers: [HeaderField] = []
        headers.reserveCapacity(Int(bytes[0]) << 8 | Int(bytes[1]))
        var at = 2
        func text(_ table: [String]) -> String {
            let code = bytes[at]
            at += 1
            if code == date {
                let time = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
                at += 4
                return HTTPDate.format(Int(time))
            }
            guard code == literal else { return table[Int(code)] }
            let count = Int(bytes[at]) << 8 | Int(bytes[at + 1])
            at += 2
            defer { at += count }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self)
        }
        while at < bytes.count {
            let name = text(names)
            headers.append(HeaderField(name: name, value: text(values)))
        }
        return headers
    }
}
