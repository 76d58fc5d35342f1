import Testing

@testable import LLMCacheCore

@Suite struct CanonicalJSONTests {
    func canonical(_ text: String) throws -> String {
        String(decoding: CanonicalJSON.serialize(try JSONParser.parse(Array(text.utf8))), as: UTF8.self)
    }

    @Test(arguments: [
        ("1", "1"), ("1.0", "1"), ("1.000", "1"), ("10e-1", "1"), ("0.1e1", "1"), ("100", "100"), ("1e2", "100"),
        ("-0", "0"), ("-0.0e5", "0"), ("0.5", "0.5"), ("5e-1", "0.5"), ("-12.340", "-12.34"), ("0.001", "0.001"),
        ("1e-7", "1e-7"), ("12345678901234567890123", "1.2345678901234567890123e+22"), ("1E+3", "1000"),
        ("0.000001", "0.000001"), ("123.456e1", "1234.56"),
    ])
    func numbersHaveOneSpelling(input: String, expected: String) throws {
        #expect(try canonical(input) == expected)
    }

    @Test func keysAreSortedAndWhitespaceDropped() throws {
        #expect(
            try canonical(#" { "b" : [ 1 , 2.0 ] , "a" : { "z" : null , "y" : true } } "#)
                == #"{"a":{"y":true,"z":null},"b":[1,2]}"#)
    }

    @Test func stringsKeepTheirTextWithMinimalEscapes() throws {
        #expect(try canonical(#""caf\u00e9 \ud83d\ude00 \/ \" \\ \n \u0001""#) == "\"café 😀 / \\\" \\\\ \\n \\u0001\"")
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
        "\"unterminated", "\"bad \\x escape\"", "\"\\ud800\"", "\"\\udc00\"", "{\"a\":1}{", "[1] 2", "NaN", "Infinity",
        "{\"a\":1,\"a\":2}", "\"tab\there\"", "{a:1}", "'single'", "1e9999999",
    ])
    func malformedInputIsAnError(input: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(input.utf8)) }
    }

    @Test func invalidUTF8IsAnError() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xff, 0xfe, 0x22]) }
    }

    @Test func deepNestingIsAnErrorNotAStackOverflow() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
        let objects = String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(objects.utf8)) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONParser.parse(Array(fine.utf8)) }
    }

    /// Random JSON values, written with random member order, white space and number spellings,
    /// always canonicalize to the same bytes as the plain writing.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func spellingNeverChangesTheCanonicalForm(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let value = RandomJSON.value(&generator, depth: 0)
            let plain = try canonical(RandomJSON.write(value, &generator, scramble: false))
            let scrambled = try canonical(RandomJSON.write(value, &generator, scramble: true))
            #expect(plain == scrambled)
        }
    }
}

/// Random JSON for property tests: numbers are (mantissa, exponent) pairs that can be spelled
/// many ways.
enum RandomJSON {
    indirect enum Value {
        case null, bool(Bool), number(Int, Int), string(String), array([Value]), object([(String, Value)])
    }

    static func value(_ generator: inout SplitMix64, depth: Int) -> Value {
        switch generator.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(generator.next() & 1 == 0)
        case 2: return .number(Int(generator.next() % 20_001) - 10_000, Int(generator.next() % 7) - 3)
        case 3: return .string(["", "a", "é", "line\nbreak", "quote\"", "😀", "temperature"][Int(generator.next() % 7)])
        case 4: return .array((0..<Int(generator.next() % 4)).map { _ in value(&generator, depth: depth + 1) })
        default:
            let names = ["model", "messages", "temperature", "a", "b", "é", "top_p"].shuffled(using: &generator)
            return .object((0..<Int(generator.next() % 5)).map { (names[$0], value(&generator, depth: depth + 1)) })
        }
    }

    static func write(_ value: Value, _ generator: inout SplitMix64, scramble: Bool) -> String {
        let space = scramble ? [" ", "", "\n\t", "  "][Int(generator.next() % 4)] : ""
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let mantissa, let exponent):
            guard scramble else { return "\(mantissa)e\(exponent)" }
            // The same value: shift digits between mantissa and exponent, add zeros.
            let shift = Int(generator.next() % 3)
            let padded = "\(mantissa)" + String(repeating: "0", count: shift)
            return padded + "e" + "\(exponent - shift)"
        case .string(let text):
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: scramble ? "\\u000a" : "\\n")
            return "\"\(escaped)\""
        case .array(let elements):
            return "[" + space
                + elements.map { write($0, &generator, scramble: scramble) }.joined(separator: "," + space) + "]"
        case .object(let members):
            let ordered = scramble ? members.shuffled(using: &generator) : members
            return "{" + space
                + ordered.map { "\"\($0.0)\"" + space + ":" + write($0.1, &generator, scramble: scramble) }.joined(
                    separator: ",")
                + space + "}"
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
