import LLMCacheTestSupport
import LLMCacheCore
import LLMCacheServer
import Testing

/// The lean path (memory-tier hits answered on the event loop, `LeanHitHandler`): it answers
/// what the full pipeline would, counts what it would, and never answers out of turn.
@Suite struct LeanHitPathTests {
    let scratch = ScratchDirectory()
    /// Headers that differ between two answers of the same entry at different moments.
    private static let momentary: Set<String> = ["date", "age"]

    private static func fields(_ reply: ProxyHarness.Reply) -> [String] {
        reply.headers.filter { !momentary.contains($0.name.lowercased()) }.map {
            "\($0.name.lowercased()): \($0.value)"
        }
    }

    @Test(arguments: [false, true])
    func aLeanHitAnswersWhatTheFullPipelineAnswers(stream: Bool) async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("Same answer either way", stream: stream)
            let miss = try await harness.post("/v1/chat/completions", body)
            #expect(miss.header("x-llmcache-status") == "MISS")
            let lean = try await harness.post("/v1/chat/completions", body)
            #expect(harness.server.metrics.snapshot.fastHits == 1, "the lean path answered")
            // Any x-llmcache-replay header sends a hit through the full pipeline.
            let full = try await harness.post("/v1/chat/completions", body, headers: [("x-llmcache-replay", "instant")])
            #expect(harness.server.metrics.snapshot.fastHits == 1, "the full pipeline answered")
            #expect(lean.header("x-llmcache-status") == "HIT")
            #expect(lean.header("x-llmcache-tier") == "memory")
            #expect(Self.fields(lean) == Self.fields(full))
            #expect(lean.header("date") != nil && lean.header("age") != nil)
            #expect(lean.body == full.body)
            #expect(lean.body == miss.body)
            #expect(harness.server.metrics.snapshot.requests["HIT"] == 2)
            #expect(harness.stats.requestCount == 1)
        }
    }

    @Test func aLeanHitIsCountedOnceAndALeanMissNotAtAll() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("Counted"))
            _ = try await harness.post("/v1/chat/completions", chat("Counted"))
            _ = try await harness.post("/v1/chat/completions", chat("Not yet stored"))
            let memory = harness.server.cache.stats.memory
            #expect(memory.hits == 1)
            #expect(memory.misses == 2, "a miss the lean path handed on is counted once, by the full pipeline")
            #expect(harness.server.metrics.snapshot.fastHits == 1)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInTurn() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("Stored first"))
            func request(_ content: String, headers: String = "") -> String {
                let body = chat(content)
                return "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                    + "content-length: \(body.utf8.count)\r\n\(headers)\r\n\(body)"
            }
            let connection = try RawConnection(port: harness.proxyPort)
            // A slow miss, a hit the lean path could answer at once, and a hit asking to close.
            connection.send(
                request("Slow to fetch", headers: "x-mock-latency-ms: 300\r\n") + request("Stored first")
                    + request("Stored first", headers: "connection: close\r\n"))
            let (text, closed) = try await connection.readToClose()
            let statuses = text.split(separator: "\r\n").filter { $0.lowercased().hasPrefix("x-llmcache-status:") }
                .map { $0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces) }
            #expect(statuses == ["MISS", "HIT", "HIT"], "\(text.prefix(600))")
            #expect(text.components(separatedBy: "Slow to fetch").count == 2, "the miss's answer came first")
            #expect(text.range(of: "Slow to fetch")!.lowerBound < text.range(of: "Stored first")!.lowerBound)
            #expect(closed, "connection: close is honoured")
        }
    }

    @Test func aLeanHitKeepsTheConnectionOpenAndAnswersEachRequest() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("Again and again"))
            let body = chat("Again and again")
            let request =
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                + "content-length: \(body.utf8.count)\r\n\r\n\(body)"
            let connection = try RawConnection(port: harness.proxyPort)
            for round in 1...3 {
                // The body in two writes: the lean path holds the request until it has ended.
                let split = request.utf8.count - 10
                connection.send(Array(request.utf8.prefix(split)))
                connection.send(Array(request.utf8.dropFirst(split)))
                // Head and body: the head says how long the body is.
                let start = try await connection.read(until: "\r\n\r\n")
                let (head, early) = (
                    start.components(separatedBy: "\r\n\r\n")[0], start.components(separatedBy: "\r\n\r\n")[1]
                )
                #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
                #expect(head.lowercased().contains("x-llmcache-status: hit"))
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let rest = try await connection.read(bytes: length - early.utf8.count)
                #expect(early.utf8.count + rest.count == length)
                #expect((early + String(decoding: rest, as: UTF8.self)).contains("\"choices\""))
                #expect(harness.server.metrics.snapshot.fastHits == round)
            }
        }
    }

    @Test func requestsTheFullPipelineMustSeeAreHandedOn() async throws {
        try await ProxyHarness.run(
            store: nil, configure: { $0.maximumRequestBytes = 4096 }
        ) { harness in
            _ = try await harness.post("/v1/chat/completions", chat("Refused or hit"))
            // Broken JSON, a bad mode and an oversized body are refused as before.
            let broken = try await harness.post("/v1/chat/completions", #"{"model":"#)
            #expect(broken.status == 400)
            let badMode = try await harness.post(
                "/v1/chat/completions", chat("Refused or hit"), headers: [("x-llmcache-mode", "sideways")])
            #expect(badMode.status == 400)
            let large = try await harness.post(
                "/v1/chat/completions", chat(String(repeating: "x", count: 5000)))
            #expect(large.status == 413)
            // Passthrough and max-age take the full pipeline (which answers them as always).
            let passthrough = try await harness.post(
                "/v1/chat/completions", chat("Refused or hit"), headers: [("x-llmcache-mode", "passthrough")])
            #expect(passthrough.header("x-llmcache-status") == "BYPASS")
            let fresh = try await harness.post(
                "/v1/chat/completions", chat("Refused or hit"), headers: [("cache-control", "max-age=60")])
            #expect(fresh.header("x-llmcache-status") == "HIT")
            #expect(harness.server.metrics.snapshot.fastHits == 0)
        }
    }

    @Test func aSmallDiskRecordIsALeanHitCountedAndPromotedAsBefore() async throws {
        let store = scratch.path + "/store"
        var stored: ProxyHarness.Reply?
        try await ProxyHarness.run(store: store) { harness in
            stored = try await harness.post("/v1/chat/completions", chat("From disk"))
        }
        var full: ProxyHarness.Reply?
        try await ProxyHarness.run(store: store) { harness in
            // The full pipeline's disk hit, for comparison (a replay header sends it there).
            full = try await harness.post(
                "/v1/chat/completions", chat("From disk"), headers: [("x-llmcache-replay", "instant")])
            #expect(full?.header("x-llmcache-tier") == "disk")
        }
        try await ProxyHarness.run(store: store) { harness in
            let lean = try await harness.post("/v1/chat/completions", chat("From disk"))
            #expect(lean.header("x-llmcache-status") == "HIT")
            #expect(lean.header("x-llmcache-tier") == "disk")
            #expect(harness.server.metrics.snapshot.fastHits == 1)
            #expect(lean.body == stored?.body)
            #expect(Self.fields(lean) == full.map(Self.fields))
            let stats = harness.server.cache.stats
            #expect(stats.memory.misses == 1, "the L1 miss before the disk hit is counted once")
            #expect(stats.disk?.hits == 1)
            #expect(stats.disk?.misses == 0)
            #expect(stats.promotions == 1)
            let again = try await harness.post("/v1/chat/completions", chat("From disk"))
            #expect(again.header("x-llmcache-tier") == "memory")
            #expect(harness.server.metrics.snapshot.fastHits == 2)
            #expect(harness.stats.requestCount == 0)
        }
    }

    /// The lean path writes its bytes below NIO's encoder: byte for byte what the encoder writes
    /// for the full pipeline's hit (status line, fields, framing, every chunk), `date` and `age`
    /// aside.
    @Test(arguments: [false, true])
    func leanBytesAreTheEncodersBytes(stream: Bool) async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("Byte for byte", stream: stream)
            _ = try await harness.post("/v1/chat/completions", body)
            func request(_ headers: String) -> String {
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                    + "content-length: \(body.utf8.count)\r\n\(headers)\r\n\(body)"
            }
            let connection = try RawConnection(port: harness.proxyPort)
            // Two lean hits (the second with the head kept from the first), then the full pipeline's.
            connection.send(
                request("") + request("") + request("x-llmcache-replay: instant\r\nconnection: close\r\n"))
            let (text, closed) = try await connection.readToClose()
            #expect(closed)
            #expect(harness.server.metrics.snapshot.fastHits == 2)
            let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { answer in
                answer.components(separatedBy: "\r\n").filter {
                    !$0.lowercased().hasPrefix("date:") && !$0.lowercased().hasPrefix("age:")
                }
            }
            #expect(answers.count == 3, "\(text.prefix(400))")
            #expect(answers[0] == answers[2])
            #expect(answers[1] == answers[2])
            #expect(answers.first?.contains("transfer-encoding: chunked") == stream)
            if stream {
                // Every stored chunk is its own HTTP chunk: more than one chunk-size line.
                #expect(
                    (answers.first?.filter { $0.range(of: "^[0-9a-f]+$", options: .regularExpression) != nil }.count
                        ?? 0) > 2)
            }
        }
    }

    /// A kept answer head is never used for another stored answer under the same key.
    @Test func aRefreshedAnswerIsAnsweredWithItsOwnHead() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("Refreshed")
            _ = try await harness.post("/v1/chat/completions", body)
            let first = try await harness.post("/v1/chat/completions", body)
            #expect(first.header("x-llmcache-original-x-request-id") == "req_1")
            let refreshed = try await harness.post(
                "/v1/chat/completions", body, headers: [("cache-control", "no-cache")])
            #expect(refreshed.header("x-request-id") == "req_2")
            let second = try await harness.post("/v1/chat/completions", body)
            #expect(second.header("x-llmcache-status") == "HIT")
            #expect(second.header("x-llmcache-original-x-request-id") == "req_2")
            #expect(harness.server.metrics.snapshot.fastHits == 2)
        }
    }
}
