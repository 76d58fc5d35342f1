import LLMCacheCore
import LLMCacheServer
import LLMCacheTestSupport
import Testing

/// Embedding batches answered item by item: cached items from the cache, only the new ones
/// upstream, the answer the same as if every item had been fetched.
@Suite struct EmbeddingItemTests {
    let scratch = ScratchDirectory()

    private func batch(_ range: Range<Int>, format: String? = nil) -> String {
        let inputs = range.map { "\"sentence number \($0)\"" }.joined(separator: ",")
        let encoding = format.map { #","encoding_format":"\#($0)""# } ?? ""
        return #"{"model":"text-embedding-3-small","input":[\#(inputs)]\#(encoding)}"#
    }

    /// What an SDK reads of an answer: each item's index and vector, and the usage.
    private func parsed(_ reply: ProxyHarness.Reply) throws -> (items: [[String]], tokens: Int?) {
        let answer = try JSONParser.parse(reply.body)
        guard case .array(let data)? = answer["data"] else { return ([], nil) }
        let items = data.map { element -> [String] in
            var fields = [element["index"]?.intValue.map(String.init) ?? "?"]
            switch element["embedding"] {
            case .array(let numbers)?:
                fields += numbers.map { if case .number(let text) = $0 { String(Double(text) ?? .nan) } else { "?" } }
            case .string(let base64)?: fields.append(base64)
            default: fields.append("?")
            }
            return fields
        }
        return (items, answer["usage"]?["prompt_tokens"]?.intValue)
    }

    @Test(arguments: [nil, "float", "base64"])
    func aBatchFetchesOnlyItsNewItems(format: String?) async throws {
        try await ProxyHarness.run(store: scratch.path + "/store") { harness in
            let seven = try await harness.post("/v1/embeddings", batch(0..<7, format: format))
            #expect(seven.header("x-llmcache-status") == "MISS")

            let ten = try await harness.post("/v1/embeddings", batch(0..<10, format: format))
            #expect(ten.status == 200 && ten.header("x-llmcache-status") == "PARTIAL")
            #expect(ten.header("x-llmcache-items") == "cached=7, fetched=3")
            #expect(harness.stats.embeddingInputCounts == [7, 3], "one upstream call carrying the three new items")

            // The same batch with nothing cached, straight from the upstream.
            let direct = try await harness.post(
                "/v1/embeddings", batch(0..<10, format: format), headers: [("x-llmcache-mode", "passthrough")])
            let expected = try parsed(direct)
            let got = try parsed(ten)
            #expect(expected.items.count == 10 && got.items == expected.items)
            #expect(got.tokens == expected.tokens && got.tokens == 30)

            // Now every item is cached: no upstream call at all; one item alone hits too.
            let again = try await harness.post("/v1/embeddings", batch(0..<10, format: format))
            #expect(
                again.header("x-llmcache-status") == "HIT" && again.header("x-llmcache-items") == "cached=10, fetched=0"
            )
            #expect(try parsed(again).items == expected.items)
            let one = try await harness.post("/v1/embeddings", batch(8..<9, format: format))
            #expect(one.header("x-llmcache-status") == "HIT")
            #expect(try parsed(one).items.first?.dropFirst() == expected.items[8].dropFirst())
            #expect(harness.stats.embeddingInputCounts == [7, 3, 10])
        }
    }

    /// Replay (no upstream) answers a batch it never saw from items recorded by other batches,
    /// and refuses one with an item never recorded — without an upstream call either way.
    @Test func replayAnswersANewBatchFromRecordedItems() async throws {
        let store = scratch.path + "/store"
        var recorded: [[String]] = []
        try await ProxyHarness.run(store: store) { harness in
            _ = try await harness.post("/v1/embeddings", batch(0..<3))
            _ = try await harness.post("/v1/embeddings", batch(3..<5))
            let direct = try await harness.post(
                "/v1/embeddings", batch(0..<5), headers: [("x-llmcache-mode", "passthrough")])
            recorded = try parsed(direct).items
        }
        try await ProxyHarness.run(store: store, configure: { $0.mode = .replay }) { harness in
            let replayed = try await harness.post("/v1/embeddings", batch(0..<5))
            #expect(replayed.status == 200 && replayed.header("x-llmcache-status") == "HIT")
            #expect(replayed.header("x-llmcache-items") == "cached=5, fetched=0")
            let items = try parsed(replayed).items
            #expect(recorded.count == 5 && items == recorded)

            let unknown = try await harness.post("/v1/embeddings", batch(4..<6))
            #expect(unknown.status == 504 && unknown.text.contains("cache_miss"))
            #expect(harness.stats.requestCount == 0)
        }
    }

    @Test func anUpstreamFailureForTheNewItemsIsTheAnswer() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            _ = try await harness.post("/v1/embeddings", batch(0..<2))
            let failed = try await harness.post("/v1/embeddings", batch(0..<4), headers: [("x-mock-status", "400")])
            #expect(failed.status == 400 && failed.text.contains("mock_error"))
            // Nothing half-made was stored: the new items are still missing.
            let later = try await harness.post("/v1/embeddings", batch(0..<4))
            #expect(later.header("x-llmcache-items") == "cached=2, fetched=2")
        }
    }
}
