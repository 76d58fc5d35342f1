import LLMCacheCore
import LLMCacheStore
import NIOCore
import Testing

@testable import LLMCacheToolkit

/// The reviewable form of an export (`export --form recording`, a `.jsonl` file): readable,
/// stable, and exact — what is read back is what was stored.
@Suite struct RecordingFormatTests {
    let scratch = ScratchDirectory()

    /// A store holding the kinds of answer a recording meets: compact JSON, pretty-printed JSON
    /// (kept as text), a JSON stream with a `[DONE]` line and an `event:` field, a stream that is
    /// not clean SSE, and a binary body.
    func variedStore(_ path: String) throws -> (DiskTier, [CacheKey: CacheEntry]) {
        let store = try StoreAccess.openOrCreate(path)
        var entries: [CacheKey: CacheEntry] = [:]
        func add(_ index: Int, body: [UInt8], stream: Bool = false, namespace: String = "tests/a.py::t") {
            var entry = chatEntry(index, namespace: namespace, tenant: []).1
            entry.body = ByteBuffer(bytes: body)
            if stream {
                entry.headers = [HeaderField(name: "content-type", value: "text/event-stream")]
                entry.bodyKind = .stream(chunks: ServerSentEvents.chunks(body))
            }
            let key = entry.keyRecipe!.key
            store.put(key, entry)
            entries[key] = entry
        }
        add(0, body: Array(#"{"id":"c1","choices":[{"message":{"content":"Echo: hi"}}],"n":-2.5}"#.utf8))
        add(1, body: Array("{\n  \"id\": \"c2\",\n  \"z\": 1.0\n}\n".utf8))
        add(
            2,
            body: Array(
                "event: message_start\ndata: {\"type\":\"message_start\",\"b\":[1,2]}\n\ndata: {\"x\":\"é\\n\"}\n\ndata: [DONE]\n\n"
                    .utf8), stream: true)
        add(3, body: Array("data: {\"x\":1}\r\n\r\ndata: half".utf8), stream: true)
        add(4, body: [0xff, 0x00, 0xfe, 0x80])
        add(5, body: Array(#"{"other":"namespace"}"#.utf8), namespace: "tests/b.py::u")
        store.commitPending()
        return (store, entries)
    }

    @Test func aRecordingRoundTripsEveryBodyExactly() async throws {
        let (source, entries) = try variedStore(scratch.path + "/a")
        let file = scratch.path + "/rec.jsonl"
        let summary = try await StoreExport.run(
            store: .disk(source), to: file, filter: EntryFilter(), now: now, form: .recording)
        #expect(summary.exported == entries.count)
        let text = String(decoding: try readFile(file), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == entries.count + 1, "a header and one line per entry")
        #expect(lines[0].contains(#""format":"llmcache-recording""#))

        // Readable: JSON bodies as JSON, a stream as its events, the rest as text or base64.
        #expect(text.contains(#""json":{"id":"c1","choices":[{"message":{"content":"Echo: hi"}}],"n":-2.5}"#))
        #expect(text.contains(#""text":"{\n  \"id\": \"c2\",\n  \"z\": 1.0\n}\n""#), "pretty JSON is kept as text")
        #expect(
            text.contains(
                #""sse":[["event: message_start",["data",{"type":"message_start","b":[1,2]}]],[["data",{"x":"é\n"}]],["data: [DONE]"]]"#
            ))
        #expect(text.contains(#""text":"data: {\"x\":1}\r\n\r\ndata: half","stream":true"#))
        #expect(text.contains(#""base64":"/wD+gA==""#))
        #expect(!text.contains("created"), "no timestamps: a re-record that changes nothing changes no line")

        // Exact: a fresh store holds the same bytes under the same keys.
        let (target, _) = try makeStore(scratch.path + "/b", count: 0)
        let imported = try await StoreImport.run(file, into: .disk(target), options: .init(), now: now)
        #expect(imported.imported == entries.count && imported.bad.isEmpty && imported.fileError == nil)
        for (key, entry) in entries {
            let read = try #require(target.get(key), "entry \(key) is found under its key")
            #expect(read.body == entry.body)
            #expect(read.headers == entry.headers && read.status == entry.status)
            #expect(read.request == entry.request && read.namespace == entry.namespace)
            #expect(read.canonicalRequest == entry.canonicalRequest)
            #expect(read.createdAt == now, "stored as made at import")
            if case .stream(let chunks) = entry.bodyKind {
                #expect(read.bodyKind == .stream(chunks: chunks), "chunked at its events")
            } else {
                #expect(read.bodyKind == .complete)
            }
        }
        #expect(try Verify.exportFile(file).isClean)
    }

    @Test func theSameEntriesGiveTheSameFileAndAChangeChangesOneLine() async throws {
        let (first, _) = try variedStore(scratch.path + "/a")
        let (second, _) = try variedStore(scratch.path + "/b")
        let one = scratch.path + "/one.jsonl"
        let two = scratch.path + "/two.jsonl"
        _ = try await StoreExport.run(store: .disk(first), to: one, filter: EntryFilter(), now: now, form: .recording)
        _ = try await StoreExport.run(
            store: .disk(second), to: two, filter: EntryFilter(), now: Timestamp(secondsSinceEpoch: 1_800_000_060),
            form: .recording)
        #expect(try readFile(one) == readFile(two), "stable: key order, no timestamps")

        // A re-recorded answer changes its own line only.
        var changed = chatEntry(0, namespace: "tests/a.py::t", tenant: []).1
        changed.body = ByteBuffer(string: #"{"id":"c1","choices":[{"message":{"content":"Echo: changed"}}],"n":-2.5}"#)
        second.put(changed.keyRecipe!.key, changed)
        second.commitPending()
        _ = try await StoreExport.run(store: .disk(second), to: two, filter: EntryFilter(), now: now, form: .recording)
        let before = String(decoding: try readFile(one), as: UTF8.self).split(separator: "\n")
        let after = String(decoding: try readFile(two), as: UTF8.self).split(separator: "\n")
        #expect(before.count == after.count)
        let differing = zip(before, after).filter { $0 != $1 }
        #expect(differing.count == 1 && differing.first?.1.contains("Echo: changed") == true)
    }

    /// The file is meant to be edited and merged: a request edited by hand is stored under its
    /// new key; blank lines are nothing; a broken line is named and the rest is imported.
    @Test func aHandEditedRecordingIsReadAndItsBadLinesNamed() async throws {
        let (source, _) = try makeStore(scratch.path + "/a", count: 3)
        let file = scratch.path + "/rec.jsonl"
        _ = try await StoreExport.run(store: .disk(source), to: file, filter: EntryFilter(), now: now, form: .recording)
        var text = String(decoding: try readFile(file), as: UTF8.self)
        #expect(text.contains("question 1"))
        text = text.replacingOccurrences(of: "question 1", with: "question one")
        text += "\n{\"namespace\":\"\",\"request\":{}}\n{not json\n"
        try writeFile(file, Array(text.utf8))

        let (target, _) = try makeStore(scratch.path + "/b", count: 0)
        let summary = try await StoreImport.run(file, into: .disk(target), options: .init(), now: now)
        #expect(summary.imported == 3)
        #expect(summary.bad.map(\.line) == [6, 7], "\(summary.bad)")
        #expect(summary.bad.first?.reason.contains("response") == true, "\(summary.bad)")
        #expect(summary.fileError == nil, "a recording has no end line to miss")
        let edited = chatEntry(1, tenant: []).1
        var request = try #require(edited.request)
        request.tenant = TenantScope.scope(credential: "Bearer sk-test", secret: try target.tenantSecret())
        let body = Array(chatBody(1).utf8).replacing(Array("question 1".utf8), with: Array("question one".utf8))
        #expect(target.get(request.recipe(namespace: "", canonicalBody: body).key) != nil, "stored under its new key")
    }

    @Test func aRecordingHoldsNoCredential() async throws {
        let (source, _) = try makeStore(scratch.path + "/a", count: 2)
        let file = scratch.path + "/rec.jsonl"
        _ = try await StoreExport.run(store: .disk(source), to: file, filter: EntryFilter(), now: now, form: .recording)
        let text = String(decoding: try readFile(file), as: UTF8.self)
        #expect(!text.contains("sk-test"))
        #expect(text.contains(#""tenant":""#), "the tenant scope is a keyed hash")
    }

    @Test func garbageIsNamed() async throws {
        let file = scratch.path + "/bad.jsonl"
        for (content, fragment) in [
            (#"{"format":"llmcache-recording","version":9}"#, "recording format version 9 is not supported"),
            (#"{"namespace":"x"}"#, "not an llmcache export"),
        ] {
            try writeFile(file, Array((content + "\n").utf8))
            await #expect {
                _ = try await StoreImport.run(
                    file, into: .disk(try makeStore(scratch.path + "/c", count: 0).0), options: .init(), now: now)
            } throws: { error in
                "\(error)".contains(fragment)
            }
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
