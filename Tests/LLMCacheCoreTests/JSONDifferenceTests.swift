import LLMCacheCore
import Testing

@Suite struct JSONDifferenceTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func fieldLevelPathsWithBothValues() throws {
        let stored = try parse(
            #"{"model":"m","temperature":0.2,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}],"odd key":1}"#
        )
        let request = try parse(
            #"{"model":"m","temperature":0.7,"messages":[{"role":"user","content":"A"}],"odd key":1,"seed":3}"#)
        let differences = JSONDifference.between(stored: stored, request: request)
        #expect(differences.map(\.path) == ["$.messages[0].content", "$.messages[1]", "$.seed", "$.temperature"])
        #expect(differences[0].stored == .string("a") && differences[0].request == .string("A"))
        #expect(differences[1].request == nil, "absent on the request side")
        #expect(differences[2].stored == nil && differences[2].request == .number("3"))
        #expect(JSONDifference.count(stored: stored, request: request) == 4)
        #expect(JSONDifference.count(stored: stored, request: request, limit: 2) == 2)
        #expect(JSONDifference.between(stored: stored, request: stored).isEmpty)
    }

    @Test func oddNamesAreQuotedAndKindChangesAreOneDifference() throws {
        let differences = JSONDifference.between(
            stored: try parse(#"{"a b":{"x":1},"k":[1]}"#), request: try parse(#"{"a b":{"x":2},"k":{"0":1}}"#))
        #expect(differences.map(\.path) == [#"$["a b"].x"#, "$.k"])
    }

    @Test func abbreviatedCutsLongStrings() {
        let long = JSONValue.string(String(repeating: "x", count: 500))
        guard case .string(let text) = long.abbreviated(maximumCharacters: 10) else {
            Issue.record("not a string")
            return
        }
        #expect(text.hasPrefix("xxxxxxxxxx…") && text.contains("490 more"))
    }
}

@Suite struct TimestampISO8601Tests {
    @Test(arguments: [
        ("1970-01-01", Int64(0)), ("2026-11-26T06:07:08Z", 1_795_673_228), ("2026-11-26T07:07:08+01:00", 1_795_673_228),
        ("2000-02-29T00:00", 951_782_400), ("1795673228", 1_795_673_228),
    ])
    func parses(_ text: String, _ seconds: Int64) {
        #expect(Timestamp(iso8601: text) == Timestamp(secondsSinceEpoch: seconds))
    }

    @Test(arguments: [
        "", "2026-13-01", "2026-02-30", "2026-11-26T25:00", "2026-11-26T06:07:08.Z", "yesterday", "2026-11-26Tx", "-5",
        // Beyond what nanoseconds in an Int64 hold: refused, not a crash.
        "2999-01-01T00:00:00Z", "1500-01-01", "9999999999999", "9223372036854775807",
    ])
    func rejects(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func formatsAndRoundTrips() {
        let time = Timestamp(nanosecondsSinceEpoch: 1_795_673_228_123_000_000)
        #expect(time.iso8601 == "2026-11-26T06:07:08.123Z")
        #expect(Timestamp(iso8601: time.iso8601) == time)
        #expect(Timestamp(nanosecondsSinceEpoch: 0).iso8601 == "1970-01-01T00:00:00.000Z")
    }
}
