import LLMCacheCore
import LLMCacheStore
import Testing

@testable import LLMCacheToolkit

@Suite struct ReplayCheckTests {
    let scratch = ScratchDirectory()

    func requestLine(
        _ index: Int, temperature: String = "0.2", credential: String = "Bearer sk-test", model: String = "gpt-4o-mini"
    )
        -> String
    {
        // Members in another order and spacing than stored: the canonical form is what counts.
        #"{"path":"/v1/chat/completions","headers":{"Authorization":"\#(credential)","content-type":"application/json"},"body":{"temperature":\#(temperature), "model":"\#(model)","messages":[{"role":"user","content":"question \#(index)"}],"user":"ignored"}}"#
    }

    func check(_ lines: [String], store: DiskTier) async throws -> ReplayCheck.Report {
        let file = scratch.path + "/requests.jsonl"
        try writeFile(file, Array(lines.joined(separator: "\n").utf8))
        return try await ReplayCheck.run(
            requestsFile: file,
            target: .store(store, routes: try StoreAccess.routes(extra: []), shareAcrossCredentials: false))
    }

    @Test func hitsMissesExplanationsAndUnusedEntries() async throws {
        let (store, keys) = try makeStore(scratch.path + "/s", count: 4)
        let report = try await check(
            [
                requestLine(0), requestLine(1), requestLine(2, temperature: "0.7"),
                requestLine(1, credential: "Bearer other"),
            ],
            store: store)
        #expect(report.requests == 4 && report.hits == 2)
        #expect(report.hitRate == 0.5)
        #expect(report.results[0].key == keys[0], "the key is computed as the proxy computes it")
        let temperature = report.results[2]
        #expect(!temperature.hit)
        #expect(temperature.reason?.contains("$.temperature") == true)
        guard case .array(let differences)? = temperature.explanation?["nearest"]?["differences"] else {
            Issue.record("no differences in \(String(describing: temperature.explanation))")
            return
        }
        #expect(differences.count == 1)
        #expect(differences.first?["stored"] == .number("0.2") && differences.first?["request"] == .number("0.7"))
        #expect(temperature.explanation?["nearest"]?["key"]?.stringValue == keys[2].hex)
        let otherCredential = report.results[3]
        #expect(otherCredential.reason?.contains("other credentials") == true)
        #expect(otherCredential.explanation?["nearest"] == nil, "another tenant's request is never shown")
        #expect(Set(report.unused.map(\.key)) == [keys[2], keys[3]])
        let text = report.text()
        #expect(text.contains("hit rate 50.0 %") && text.contains("$.temperature: stored 0.2, request 0.7"))
    }

    @Test func anotherModelIsNamed() async throws {
        let (store, _) = try makeStore(scratch.path + "/m", count: 2)
        let report = try await check([requestLine(0, model: "gpt-4o")], store: store)
        #expect(report.results[0].reason?.contains("stored models on this route: gpt-4o-mini") == true)
    }

    @Test func manifestLinesAreCheckedByKey() async throws {
        let (store, keys) = try makeStore(scratch.path + "/k", count: 2)
        let lines = [
            #"{"time":"2026-11-26T00:00:00.000Z","key":"\#(keys[0].hex)","method":"POST","path":"/v1/chat/completions","model":"gpt-4o-mini","namespace":"","status":"MISS","tier":"upstream","hit":false}"#,
            #"{"key":"\#(CacheKey(identifier: 7).hex)","path":"/v1/chat/completions"}"#,
        ]
        let report = try await check(lines, store: store)
        #expect(report.results.map(\.hit) == [true, false])
        #expect(report.results[1].reason?.contains("not in the store") == true)
    }

    @Test func badLinesAreNamedNotFatal() async throws {
        let (store, _) = try makeStore(scratch.path + "/b", count: 1)
        let report = try await check(
            [
                requestLine(0), "not json", #"{"path":"nope","body":{}}"#, #"{"path":"/v1/chat/completions"}"#,
                #"{"path":"/v1/unknown","body":{}}"#, #"{"path":"/v1/chat/completions","headers":7,"body":{}}"#,
                #"[1,2]"#,
            ], store: store)
        #expect(report.requests == 7 && report.hits == 1)
        #expect(report.invalid == 6)
        #expect(report.results.dropFirst().allSatisfy { $0.reason != nil })
        #expect(report.results[4].reason?.contains("no cacheable route") == true)
    }

    @Test func emptyOrMissingRequestsFileIsAnError() async throws {
        let (store, _) = try makeStore(scratch.path + "/e", count: 1)
        await #expect(throws: ToolkitError.self) { try await check([""], store: store) }
        await #expect(throws: ToolkitError.self) {
            try await ReplayCheck.run(
                requestsFile: scratch.path + "/missing",
                target: .store(store, routes: try StoreAccess.routes(extra: []), shareAcrossCredentials: false))
        }
    }

    @Test func junitReportHasAFailurePerMiss() async throws {
        let (store, _) = try makeStore(scratch.path + "/j", count: 2)
        let report = try await check([requestLine(0), requestLine(1, temperature: "1"), "<bad & line>"], store: store)
        let xml = report.junitXML
        #expect(xml.contains(#"tests="3" failures="2""#))
        #expect(xml.components("<testcase").count - 1 == 3)
        #expect(xml.components("<failure").count - 1 == 2)
        #expect(xml.contains("$.temperature"))
        #expect(!xml.contains("<bad"), "text is escaped")
        let path = scratch.path + "/junit.xml"
        try ReplayCheck.writeJUnit(report, to: path)
        #expect(String(decoding: try readFile(path), as: UTF8.self) == xml)
    }
}

extension String {
    /// Occurrences of `separator` + 1 pieces, without Foundation.
    func components(_ separator: String) -> [Substring] {
        var pieces: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            pieces.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        return pieces + [rest]
    }
}
