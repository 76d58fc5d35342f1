import LLMCacheCore
import LLMCacheStore
import Testing

@testable import LLMCacheToolkit

/// Export files users already have keep working: files written by an earlier build (committed
/// under Fixtures/, see its README) are imported into a fresh store and found by the requests
/// that recorded them, with the credential that recorded them.
@Suite struct RecordedFixtureTests {
    let scratch = ScratchDirectory()

    static let fixtures: String = {
        let path = #filePath
        return String(path[..<path.lastIndex(of: "/")!]) + "/Fixtures"
    }()

    /// The requests the fixtures were recorded from, as `replay-check --requests` reads them.
    static let requests = [
        #"{"method":"POST","path":"/v1/chat/completions","headers":{"authorization":"Bearer sk-fixture"},"body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What does a cache do?"}],"temperature":0.2}}"#,
        #"{"method":"POST","path":"/v1/chat/completions","headers":{"authorization":"Bearer sk-fixture"},"body":{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Stream it"}]}}"#,
        #"{"method":"POST","path":"/v1/messages","headers":{"x-api-key":"sk-fixture","anthropic-version":"2023-06-01"},"body":{"model":"claude-3-5-haiku-latest","max_tokens":32,"messages":[{"role":"user","content":"Hello"}]}}"#,
    ]

    @Test(arguments: ["export-v1.llmc", "recording-v1.jsonl"])
    func aFileWrittenByAnEarlierBuildIsServedToItsCredential(_ name: String) async throws {
        let (store, _) = try makeStore(scratch.path + "/store", count: 0)
        let summary = try await StoreImport.run(
            Self.fixtures + "/" + name, into: .disk(store), options: .init(), now: now)
        #expect(summary.imported == 3 && summary.bad.isEmpty && summary.fileError == nil, "\(summary.bad)")
        #expect(summary.foreignScoped == 0, "portable scopes: the same credential's scope here")
        let requests = scratch.path + "/requests.jsonl"
        try writeFile(requests, Array((Self.requests.joined(separator: "\n") + "\n").utf8))
        let report = try await ReplayCheck.run(
            requestsFile: requests,
            target: .store(store, routes: try StoreAccess.routes(extra: []), shareAcrossCredentials: false))
        #expect(report.hits == 3, "\(report.text(verbose: true))")
        var streams = 0
        try store.scan { record in
            let entry = try record.entry.get()
            if case .stream(let chunks) = entry.bodyKind, chunks.count > 1 { streams += 1 }
            #expect(String(decoding: entry.body.readableBytesView, as: UTF8.self).contains("Echo: "))
        }
        #expect(streams == 1, "the stream is replayed in more than one chunk")
        // Another credential finds nothing.
        let other = Self.requests.map { $0.replacing("sk-fixture", with: "sk-other") }
        try writeFile(requests, Array((other.joined(separator: "\n") + "\n").utf8))
        let foreign = try await ReplayCheck.run(
            requestsFile: requests,
            target: .store(store, routes: try StoreAccess.routes(extra: []), shareAcrossCredentials: false))
        #expect(foreign.hits == 0)
    }

    @Test func replayCheckReadsRecordingsDirectly() async throws {
        let requests = scratch.path + "/requests.jsonl"
        try writeFile(requests, Array((Self.requests.joined(separator: "\n") + "\n").utf8))
        let report = try await ReplayCheck.run(
            requestsFile: requests,
            recordings: [Self.fixtures + "/recording-v1.jsonl", Self.fixtures + "/export-v1.llmc"],
            routes: try StoreAccess.routes(extra: []), shareAcrossCredentials: false)
        #expect(report.hits == 3, "\(report.text(verbose: true))")
        let damaged = scratch.path + "/damaged.jsonl"
        try writeFile(damaged, try readFile(Self.fixtures + "/recording-v1.jsonl") + Array("{broken\n".utf8))
        await #expect {
            _ = try await ReplayCheck.run(
                requestsFile: requests, recordings: [damaged], routes: try StoreAccess.routes(extra: []),
                shareAcrossCredentials: false)
        } throws: { "\($0)".contains("damaged.jsonl line 5") }
    }
}
