import LLMCacheTestSupport
import LLMCacheCore
import LLMCacheServer
import LLMCacheStore
import LLMCacheToolkit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Replay misses explained through the real proxy, run manifests, and the toolkit against a
/// store the proxy wrote and against the running proxy.
@Suite struct MissExplanationTests {
    let scratch = ScratchDirectory()
    let key = [("authorization", "Bearer sk-a")]

    func parse(_ reply: ProxyHarness.Reply) throws -> JSONValue { try JSONParser.parse(reply.body) }

    @Test func aReplayMissNamesTheNearestRequestAndTheFieldThatChanged() async throws {
        try await ProxyHarness.run(store: scratch.path + "/s") { harness in
            let recorded = try await harness.post(
                "/v1/chat/completions", chat("Explain", extra: #","temperature":0.2"#), headers: key)
            _ = try await harness.post("/v1/chat/completions", chat("Something else entirely"), headers: key)
            try await harness.server.store!.flush()
            let reply = try await harness.post(
                "/v1/chat/completions", chat("Explain", extra: #","temperature":0.7"#),
                headers: key + [("x-llmcache-mode", "replay")])
            #expect(reply.status == 504)
            let explanation = try parse(reply)["error"]?["explanation"]
            #expect(explanation?["nearest"]?["key"]?.stringValue == recorded.header("x-llmcache-key"))
            #expect(explanation?["compared"] == .number("2"))
            guard case .array(let differences)? = explanation?["nearest"]?["differences"] else {
                Issue.record("no differences: \(reply.text)")
                return
            }
            #expect(differences.map { $0["path"]?.stringValue } == ["$.temperature"])
            #expect(differences.first?["stored"] == .number("0.2") && differences.first?["request"] == .number("0.7"))
            #expect(try parse(reply)["error"]?["message"]?.stringValue?.contains("$.temperature") == true)
            #expect(harness.stats.requestCount == 2)
        }
    }

    @Test func anExplainHeaderGivesTheReasonOfAnOrdinaryMiss() async throws {
        try await ProxyHarness.run(store: scratch.path + "/h") { harness in
            _ = try await harness.post("/v1/chat/completions", chat("Header"), headers: key)
            try await harness.server.store!.flush()
            let miss = try await harness.post(
                "/v1/chat/completions", chat("Header", extra: #","seed":7"#),
                headers: key + [("x-llmcache-explain", "true")])
            #expect(miss.status == 200 && miss.header("x-llmcache-status") == "MISS")
            #expect(miss.header("x-llmcache-miss-reason")?.contains("$.seed") == true)
            let hit = try await harness.post(
                "/v1/chat/completions", chat("Header"), headers: key + [("x-llmcache-explain", "true")])
            #expect(hit.header("x-llmcache-status") == "HIT" && hit.header("x-llmcache-miss-reason") == nil)
        }
    }

    @Test func anotherCredentialsRequestsAreCountedNeverShown() async throws {
        try await ProxyHarness.run(store: scratch.path + "/t") { harness in
            _ = try await harness.post("/v1/chat/completions", chat("Private prompt"), headers: key)
            try await harness.server.store!.flush()
            let reply = try await harness.post(
                "/v1/chat/completions", chat("Private prompt"),
                headers: [("authorization", "Bearer sk-b"), ("x-llmcache-mode", "replay")])
            #expect(reply.status == 504)
            #expect(!reply.text.contains("Private prompt"), "another tenant's prompt never appears")
            let explanation = try parse(reply)["error"]?["explanation"]
            #expect(explanation?["nearest"] == nil)
            #expect(explanation?["other_credentials"] == .number("1"))
        }
    }

    @Test func storedEntriesRecordTheRequestTheirKeyCameFrom() async throws {
        try await ProxyHarness.run(store: scratch.path + "/k") { harness in
            let reply = try await harness.post(
                "/v1/messages", #"{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#,
                headers: [("x-api-key", "k"), ("anthropic-version", "2023-06-01"), ("x-llmcache-namespace", "team")])
            let disk = harness.server.store!
            try await disk.flush()
            let key = try #require(reply.header("x-llmcache-key").flatMap { CacheKey(hex: $0) })
            let entry = try #require(disk.get(key))
            #expect(entry.request?.model == "claude-x" && entry.request?.path == "/v1/messages")
            #expect(entry.request?.headers == [HeaderField(name: "anthropic-version", value: "2023-06-01")])
            #expect(entry.keyRecipe?.key == key, "the key can be recomputed from the stored entry")
            #expect(try disk.verify().bad.isEmpty)
        }
    }

    @Test func replayCheckComputesTheProxysKeysFromARequestsFile() async throws {
        let requests = scratch.path + "/requests.jsonl"
        let lines = [
            #"{"method":"POST","path":"/v1/chat/completions","headers":{"authorization":"Bearer sk-a"},"body":\#(chat("one"))}"#,
            #"{"method":"POST","path":"/v1/chat/completions","headers":{"authorization":"Bearer sk-a"},"body":\#(chat("two", extra: #","temperature":1"#))}"#,
        ]
        #expect(FileHelper.write(requests, lines.joined(separator: "\n") + "\n"))
        try await ProxyHarness.run(store: scratch.path + "/rc") { harness in
            let recorded = try await harness.post("/v1/chat/completions", chat("one"), headers: key)
            _ = try await harness.post("/v1/chat/completions", chat("two"), headers: key)
            let disk = harness.server.store!
            try await disk.flush()
            let offline = try await ReplayCheck.run(
                requestsFile: requests,
                target: .store(disk, routes: try StoreAccess.routes(extra: []), shareAcrossCredentials: false))
            #expect(offline.results.map(\.hit) == [true, false])
            #expect(offline.results[0].key?.hex == recorded.header("x-llmcache-key"))
            #expect(offline.results[1].reason?.contains("$.temperature") == true)
            #expect(offline.unused.count == 1)

            let online = try await ReplayCheck.run(
                requestsFile: requests, target: .url("http://127.0.0.1:\(harness.proxyPort)"))
            #expect(online.results.map(\.hit) == [true, false])
            #expect(online.results[1].reason?.contains("$.temperature") == true)
            #expect(harness.stats.requestCount == 2, "replay-check against the proxy never reaches the upstream")
        }
    }

    @Test func aManifestListsEveryCacheableRequest() async throws {
        let manifest = scratch.path + "/run.jsonl"
        try await ProxyHarness.run(store: nil, configure: { $0.manifest = .file(manifest) }) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("m"))
            _ = try await harness.post("/v1/chat/completions", chat("m"))
            _ = try await harness.post("/v1/chat/completions", chat("n"), headers: [("x-llmcache-mode", "replay")])
            _ = try await harness.get("/v1/models")
            _ = try await harness.post("/v1/chat/completions", chat("o"), headers: [("x-mock-status", "500")])
        }
        let lines = FileHelper.read(manifest).split(separator: "\n").map { try? JSONParser.parse(Array($0.utf8)) }
        #expect(lines.count == 4, "only cacheable requests")
        #expect(lines.map { $0?["status"]?.stringValue } == ["MISS", "HIT", "MISS", "MISS"])
        #expect(lines.map { $0?["hit"]?.boolValue } == [false, true, false, false])
        #expect(lines.map { $0?["tier"]?.stringValue } == ["upstream", "memory", "none", "upstream"])
        #expect(lines.map { $0?["http_status"] } == [.number("200"), .number("200"), .number("504"), .number("500")])
        #expect(
            lines[0]?["model"]?.stringValue == "gpt-4o-mini" && lines[0]?["path"]?.stringValue == "/v1/chat/completions"
        )
        #expect(lines[0]?["key"] == lines[1]?["key"])
    }

    /// A test runner reads each test's lines while the proxy keeps running: the flush endpoint
    /// answers once every line of the requests answered before it is in the file.
    @Test func theManifestFlushEndpointWaitsForEveryEarlierLine() async throws {
        let manifest = scratch.path + "/flushed.jsonl"
        try await ProxyHarness.run(store: nil, configure: { $0.manifest = .file(manifest) }) { harness in
            for round in 1...3 {
                for index in 0..<20 {
                    _ = try await harness.post("/__llmcache/ns/t\(round)/v1/chat/completions", chat("q\(index)"))
                }
                let flushed = try await harness.post("/__llmcache/manifest/flush", "")
                #expect(flushed.status == 204, "\(flushed.text)")
                let lines = FileHelper.read(manifest).split(separator: "\n")
                #expect(lines.count == 20 * round)
                #expect(lines.last?.contains(#""namespace":"t\#(round)""#) == true)
            }
            #expect(try await harness.get("/__llmcache/manifest/flush").status == 405)
        }
        try await ProxyHarness.run(store: nil) { harness in
            let reply = try await harness.post("/__llmcache/manifest/flush", "")
            #expect(reply.status == 404 && reply.text.contains("keeps no manifest"), "\(reply.text)")
        }
    }

    @Test func manifestsPerNamespace() async throws {
        let directory = scratch.path + "/manifests"
        try await ProxyHarness.run(store: nil, configure: { $0.manifest = .directory(directory) }) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("a"))
            _ = try await harness.post("/v1/chat/completions", chat("b"), headers: [("x-llmcache-namespace", "team/x")])
        }
        #expect(FileHelper.read(directory + "/default.jsonl").split(separator: "\n").count == 1)
        #expect(FileHelper.read(directory + "/team%2Fx.jsonl").contains(#""namespace":"team/x""#))
    }

    /// The longest valid namespaces, all encoded (128 × `%2F`: 384 bytes), still get a file each —
    /// a name over 255 bytes used to lose the line.
    @Test func theLongestNamespacesKeepTheirLines() async throws {
        let directory = scratch.path + "/long"
        let slashes = String(repeating: "/", count: 128)
        let almost = String(repeating: "/", count: 127) + "x"
        try await ProxyHarness.run(store: nil, configure: { $0.manifest = .directory(directory) }) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("a"), headers: [("x-llmcache-namespace", slashes)])
            _ = try await harness.post("/v1/chat/completions", chat("b"), headers: [("x-llmcache-namespace", almost)])
        }
        let files = FileHelper.list(directory)
        #expect(files.count == 2, "\(files)")
        #expect(files.allSatisfy { $0.utf8.count <= 255 })
        let lines = files.map { FileHelper.read(directory + "/" + $0) }
        #expect(lines.contains { $0.contains(#""namespace":"\#(slashes)""#) })
        #expect(lines.contains { $0.contains(#""namespace":"\#(almost)""#) })
    }

    @Test func anUnwritableManifestIsAnErrorAtStart() async {
        await #expect(throws: (any Error).self) {
            _ = try await ProxyServer(
                configuration: ProxyConfiguration(storeDirectory: nil, manifest: .file("/nonexistent-dir/run.jsonl")),
                logger: ProxyHarness.quietLogger)
        }
    }
}

enum FileHelper {
    static func write(_ path: String, _ text: String) -> Bool {
        guard let file = fopen(path, "w") else { return false }
        defer { fclose(file) }
        return fputs(text, file) >= 0
    }

    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The names in a directory (no `.` or `..`).
    static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
