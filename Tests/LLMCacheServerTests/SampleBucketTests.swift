import LLMCacheCore
import LLMCacheServer
import LLMCacheTestSupport
import Testing

/// Sample buckets: up to K answers per key for requests that are not deterministic, chosen by the
/// client or by a rotation that is the same in every process.
@Suite struct SampleBucketTests {
    let scratch = ScratchDirectory()
    let vary = [("x-mock-vary", "1")]

    private func sampled(_ content: String) -> String {
        chat(content, extra: #","temperature":0.8"#)
    }

    private func content(_ reply: ProxyHarness.Reply) throws -> String {
        let choices: [JSONValue]
        if case .array(let items)? = try JSONParser.parse(reply.body)["choices"] {
            choices = items
        } else {
            choices = []
        }
        return try #require(choices.first?["message"]?["content"]?.stringValue, "no answer in \(reply.text)")
    }

    @Test func keepsKSamplesAndServesThemInRotation() async throws {
        try await ProxyHarness.run(store: scratch.path + "/store", configure: { $0.samples = 3 }) { harness in
            var answers: [String] = []
            for index in 0..<3 {
                let reply = try await harness.post("/v1/chat/completions", sampled("roll a die"), headers: vary)
                #expect(reply.header("x-llmcache-status") == "MISS" && reply.header("x-llmcache-sample") == "\(index)")
                answers.append(try content(reply))
            }
            #expect(Set(answers).count == 3, "three distinct answers: \(answers)")
            for round in 0..<2 {
                for index in 0..<3 {
                    let reply = try await harness.post("/v1/chat/completions", sampled("roll a die"), headers: vary)
                    #expect(reply.header("x-llmcache-status") == "HIT", "round \(round) index \(index)")
                    #expect(try content(reply) == answers[index])
                }
            }
            // The client picks an index (eval epochs).
            let pinned = try await harness.post(
                "/v1/chat/completions", sampled("roll a die"), headers: vary + [("x-llmcache-sample", "1")])
            #expect(pinned.header("x-llmcache-status") == "HIT")
            #expect(try content(pinned) == answers[1])
            #expect(harness.stats.requestCount == 3)

            // A deterministic request keeps one answer, as without samples.
            let zero = chat("roll a die", extra: #","temperature":0"#)
            _ = try await harness.post("/v1/chat/completions", zero, headers: vary)
            let again = try await harness.post("/v1/chat/completions", zero, headers: vary)
            #expect(again.header("x-llmcache-status") == "HIT" && again.header("x-llmcache-sample") == nil)

            for bad in ["3", "-1", "one"] {
                let refused = try await harness.post(
                    "/v1/chat/completions", sampled("roll a die"), headers: [("x-llmcache-sample", bad)])
                #expect(refused.status == 400 && refused.text.contains("x-llmcache-sample"), "\(bad)")
            }

            let stats = try JSONParser.parse(try await harness.get("/stats").body)
            let samples = try #require(stats["samples"])
            #expect(samples["requests"]?.intValue == 10)
            #expect(samples["by_index"]?["1"]?.intValue == 4)
            #expect(samples["keys_by_samples_held"]?["3"]?.intValue == 1)
        }
    }

    @Test func theRotationIsTheSameAfterARestartAndInReplay() async throws {
        let store = scratch.path + "/store"
        var recorded: [String] = []
        try await ProxyHarness.run(store: store, configure: { $0.samples = 2 }) { harness in
            for _ in 0..<2 {
                recorded.append(
                    try content(try await harness.post("/v1/chat/completions", sampled("flip"), headers: vary)))
            }
        }
        #expect(recorded.count == 2 && recorded[0] != recorded[1])
        // Another process on the same store, offline: the same answers in the same order.
        try await ProxyHarness.run(
            store: store,
            configure: {
                $0.samples = 2; $0.mode = .replay
            }
        ) { harness in
            for round in 0..<2 {
                for index in 0..<2 {
                    let reply = try await harness.post("/v1/chat/completions", sampled("flip"))
                    #expect(reply.header("x-llmcache-status") == "HIT", "round \(round)")
                    #expect(try content(reply) == recorded[index])
                }
            }
            #expect(harness.stats.requestCount == 0)
        }
    }

    @Test func aRouteSetsItsOwnCount() async throws {
        try await ProxyHarness.run(
            store: nil,
            configure: {
                var route = $0.routes.route(for: "/v1/chat/completions")!
                route.samples = 2
                $0.routes = $0.routes.adding([route])
            }
        ) { harness in
            let first = try await harness.post("/v1/chat/completions", sampled("route"), headers: vary)
            let second = try await harness.post("/v1/chat/completions", sampled("route"), headers: vary)
            #expect(first.header("x-llmcache-sample") == "0" && second.header("x-llmcache-sample") == "1")
            #expect(second.header("x-llmcache-status") == "MISS" && first.body != second.body)
            // Another route keeps the cache's one answer per key.
            let completion = #"{"model":"gpt-4o-mini","prompt":"x","temperature":0.8}"#
            _ = try await harness.post("/v1/completions", completion, headers: vary)
            let again = try await harness.post("/v1/completions", completion, headers: vary)
            #expect(again.header("x-llmcache-status") == "HIT" && again.header("x-llmcache-sample") == nil)
        }
    }

    @Test func offByDefaultAnswersAsBefore() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let first = try await harness.post("/v1/chat/completions", sampled("once"), headers: vary)
            let second = try await harness.post(
                "/v1/chat/completions", sampled("once"), headers: vary + [("x-llmcache-sample", "5")])
            #expect(second.header("x-llmcache-status") == "HIT" && second.body == first.body)
            #expect(second.header("x-llmcache-sample") == nil)
        }
    }
}
