/// A strict RFC 8259 JSON parser for request bodies: no trailing commas, no comments, no
/// duplicate object keys, valid UTF-8 and escapes only, nesting at most `maximumDepth` deep
/// (so deeply nested input is an error, not a stack overflow), one value with only white space
/// around it. Numbers are reduced to a canonical spelling on the way in.
public struct JSONParser {
    public static let defaultMaximumDepth = 128

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private let maximumDepth: Int

    private init(_ bytes: UnsafeRawBufferPointer, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Parses exactly one JSON value from `bytes`.
    public static func parse(_ bytes: some Collection<UInt8>, maximumDepth: Int = defaultMaximumDepth) throws
        -> JSONValue
    {
        let array = Array(bytes)
        return try array.withUnsafeBytes { buffer in
            var parser = JSONParser(buffer, maximumDepth: maximumDepth)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            guard parser.offset == buffer.count else {
                throw JSONParseError("unexpected data after the JSON value", offset: parser.offset)
            }
            return value
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard offset < bytes.count else { throw JSONParseError("unexpected end of input", offset: offset) }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw JSONParseError("unexpected character", offset: offset)
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else {
            throw JSONParseError("nesting deeper than \(maximumDepth) levels", offset: offset)
        }
        offset += 1
        var members: [JSONMember] = []
        var keys = Set<String>()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw JSONParseError("expected a member name", offset: offset) }
            let keyOffset = offset
            let key = try parseString()
            guard keys.insert(key).inserted else {
                throw JSONParseError("duplicate member \"\(key)\"", offset: keyOffset)
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw JSONParseError("expected ':'", offset: offset) }
            offset += 1
            skipWhitespace()
            members.append(JSONMember(key: key, value: try parseValue(depth: depth)))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; return .object(members)
            default: throw JSONParseError("expected ',' or '}'", offset: offset)
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else {
            throw JSONParseError("nesting deeper than \(maximumDepth) levels", offset: offset)
        }
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"): offset += 1; return .array(elements)
            default: throw JSONParseError("expected ',' or ']'", offset: offset)
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = offset
        offset += 1
        // Fast path: no escapes — one UTF-8 validation of the raw bytes.
        var scan = offset
        while scan < bytes.count {
            let byte = bytes[scan]
            if byte == UInt8(ascii: "\"") {
                guard
                    let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[offset..<scan]), as: UTF8.self)
                else { throw JSONParseError("invalid UTF-8 in string", offset: offset) }
                offset = scan + 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw JSONParseError("control character in string", offset: scan) }
            scan += 1
        }
        // Escapes: decode into UTF-8 bytes, validate once at the end.
        var utf8: [UInt8] = Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<min(scan, bytes.count)]))
        offset = scan
        while true {
            guard offset < bytes.count else { throw JSONParseError("unterminated string", offset: start) }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw JSONParseError("invalid UTF-8 in string", offset: start)
                }
                return text
            }
            if byte < 0x20 { throw JSONParseError("control character in string", offset: offset) }
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                offset += 1
                continue
            }
            offset += 1
            guard offset < bytes.count else { throw JSONParseError("unterminated escape", offset: offset) }
            let escape = bytes[offset]
            offset += 1
            switch escape {
            case UInt8(ascii: "\""): utf8.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): utf8.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): utf8.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"),
                        bytes[offset + 1] == UInt8(ascii: "u")
                    else { throw JSONParseError("lone high surrogate", offset: offset) }
                    offset += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw JSONParseError("invalid low surrogate", offset: offset)
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw JSONParseError("lone low surrogate", offset: offset)
                }
                utf8.append(contentsOf: String(Unicode.Scalar(code)!).utf8)
            default:
                throw JSONParseError("invalid escape", offset: offset - 1)
            }
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw JSONParseError("short \\u escape", offset: offset) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONParseError("invalid hex digit", offset: offset)
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    /// Validates the number grammar and returns its canonical spelling.
    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = offset
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            offset += 1
        }
        var digits: [UInt8] = []
        guard let first = peek(), isDigit(first) else { throw JSONParseError("invalid number", offset: start) }
        if first == UInt8(ascii: "0") {
            offset += 1
            if let next = peek(), isDigit(next) { throw JSONParseError("leading zero in number", offset: start) }
            digits.append(0)
        } else {
            while let byte = peek(), isDigit(byte) {
                digits.append(byte - UInt8(ascii: "0"))
                offset += 1
            }
        }
        var exponent = 0
        if peek() == UInt8(ascii: ".") {
            offset += 1
            guard let byte = peek(), isDigit(byte) else {
                throw JSONParseError("digit expected after '.'", offset: offset)
            }
            while let byte = peek(), isDigit(byte) {
                digits.append(byte - UInt8(ascii: "0"))
                exponent -= 1
                offset += 1
            }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            offset += 1
            var exponentNegative = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") {
                exponentNegative = peek() == UInt8(ascii: "-")
                offset += 1
            }
            guard let byte = peek(), isDigit(byte) else {
                throw JSONParseError("digit expected in exponent", offset: offset)
            }
            var value = 0
            while let byte = peek(), isDigit(byte) {
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                guard value < 1_000_000 else { throw JSONParseError("exponent out of range", offset: start) }
                offset += 1
            }
            exponent += exponentNegative ? -value : value
        }
        guard digits.count <= 10_000 else { throw JSONParseError("number has too many digits", offset: start) }
        return CanonicalNumber.spell(negative: negative, digits: digits, exponent: exponent)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw JSONParseError("invalid literal", offset: offset) }
        let matches = literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { expected[$0] == bytes[offset + $0] }
        }
        guard matches else { throw JSONParseError("invalid literal", offset: offset) }
        offset += count
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): offset += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
