import HTTPTypes
import Hummingbird
import LLMCacheCore
import NIOCore

/// An embeddings request whose `input` is a list (of strings or of token lists), and the key each
/// item has on its own: the batch's request with `input` = [item] — the key a one-item request
/// for it has, so batches and single requests share items.
struct EmbeddingBatch {
    let items: [JSONValue]
    let itemKeys: [CacheKey]
    /// Each item's canonical request (stored with it).
    let itemRequests: [[UInt8]]
}

/// Per-item embeddings: a batch is answered from the items already cached, only the others go
/// upstream (one request carrying just those), and the answer is put back together in the
/// original order, its usage the items' sum (`PARTIAL`, `x-llmcache-items: cached=C fetched=F`).
/// Every batch answer that is stored is also stored item by item (``storeItems``), each as the
/// answer a one-item request would get, its share of the batch's tokens split evenly (the
/// providers report one total).
extension ProxyPipeline {
    static let maximumBatchItems = 2_048
    static let itemsHeader = HTTPField.Name("x-llmcache-items")!

    /// The batch `lookup` is, if it is one (two or more items, not sampled).
    func embeddingBatch(_ lookup: CacheLookup) -> EmbeddingBatch? {
        guard lookup.recipe.method == "POST", lookup.recipe.path.hasSuffix("/embeddings"), lookup.sample == nil,
            let body = try? JSONParser.parse(lookup.canonical), case .array(let items)? = body["input"],
            (2...Self.maximumBatchItems).contains(items.count),
            items.allSatisfy({ if case .string = $0 { true } else if case .array = $0 { true } else { false } })
        else { return nil }
        let requests = items.map { CanonicalJSON.serialize(Self.replacing("input", with: .array([$0]), in: body)) }
        let keys = requests.map { canonical in
            var recipe = lookup.recipe
            recipe.canonicalBody = canonical
            return recipe.key
        }
        return EmbeddingBatch(items: items, itemKeys: keys, itemRequests: requests)
    }

    /// `lookup` answered item by item when it is an embeddings batch whose cache may be read;
    /// nil otherwise, or when no item is cached (offline: when one is missing).
    func answerByItems(_ lookup: CacheLookup, _ exchange: ProxyExchange) async throws -> ProxyAnswer? {
        guard lookup.readsCache, let batch = embeddingBatch(lookup) else { return nil }
        return try await answerByItems(batch, lookup, exchange)
    }

    /// The batch answered from its cached items and one upstream request for the rest; nil when
    /// no item is cached (the usual fetch then stores them all).
    func answerByItems(_ batch: EmbeddingBatch, _ lookup: CacheLookup, _ exchange: ProxyExchange) async throws
        -> ProxyAnswer?
    {
        let now = services.clock.now()
        var found: [Int: (vector: JSONValue, tokens: Int, model: JSONValue?)] = [:]
        var tier = ResponseTier.none
        for (index, key) in batch.itemKeys.enumerated() {
            guard let (entry, from) = await services.cache.get(key), lookup.isFresh(entry, now: now),
                lookup.staleness(expiresAt: entry.expiresAt, now: now) == nil, entry.status == 200,
                let answer = try? JSONParser.parse(entry.body.readableBytesView),
                let vectors = Self.vectors(in: answer), vectors.count == 1
            else { continue }
            found[index] = (vectors[0], Self.promptTokens(answer), answer["model"])
            tier = ResponseTier(from)
        }
        guard !found.isEmpty else { return nil }
        let cachedTokens = found.values.reduce(0) { $0 + $1.tokens }
        var vectors = found.mapValues(\.vector)
        var tokens = cachedTokens
        var model = found.values.first?.model
        let missing = batch.items.indices.filter { found[$0] == nil }
        var status = CacheStatus.hit
        if !missing.isEmpty {
            guard !lookup.offline else { return nil }
            let fetched = try await fetchItems(missing.map { batch.items[$0] }, exchange)
            guard case .answer(let answer, let fetchedVectors) = fetched else {
                if case .failed(let answer) = fetched { return answer }
                return nil
            }
            for (offset, index) in missing.enumerated() { vectors[index] = fetchedVectors[offset] }
            tokens += Self.promptTokens(answer)
            model = answer["model"] ?? model
            status = .partial
            tier = .upstream
        }
        if cachedTokens > 0 {
            services.metrics.servedFromCache(
                usage: TokenUsage(inputTokens: cachedTokens, outputTokens: 0), model: lookup.model,
                prices: configuration.prices)
        }
        let data = batch.items.indices.map { index in
            JSONValue.object([
                JSONMember(key: "object", value: .string("embedding")),
                JSONMember(key: "index", value: .number(String(index))),
                JSONMember(key: "embedding", value: vectors[index] ?? .null),
            ])
        }
        let body = Self.listAnswer(data: data, model: model, tokens: tokens)
        var response = Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        response.headers[Self.itemsHeader] = "cached=\(found.count), fetched=\(missing.count)"
        note(lookup, status: status, tier: tier, httpStatus: 200)
        return ProxyAnswer(response, status: status, tier: tier, key: lookup.key)
    }

    private enum ItemFetch {
        case answer(JSONValue, vectors: [JSONValue])
        /// The upstream's answer was not a usable embeddings list: relayed as it is.
        case failed(ProxyAnswer)
    }

    /// One upstream request for `items` (the client's body with only them as `input`), through
    /// the usual lookup, coalescing and fetch — which stores it and its items.
    private func fetchItems(_ items: [JSONValue], _ exchange: ProxyExchange) async throws -> ItemFetch {
        guard let original = try? JSONParser.parse(exchange.body.readableBytesView) else {
            throw ProxyError.badRequest("request body is not valid JSON")
        }
        var partial = exchange
        partial.body = ByteBuffer(
            bytes: CanonicalJSON.serializeInOrder(Self.replacing("input", with: .array(items), in: original)))
        let lookup = try key(partial)
        let (flight, chunks, status, tier) = try await coalesce(lookup, partial)
        let head = try await flight.head()
        guard (200..<300).contains(head.status), !ProxyHeaders.isEventStream(head.headers),
            let whole = try await flight.completeBody(), let answer = try? JSONParser.parse(whole.readableBytesView),
            let vectors = Self.vectors(in: answer), vectors.count == items.count
        else {
            let response = try await respond(from: flight, body: chunks)
            return .failed(ProxyAnswer(response, status: status, tier: tier, key: lookup.key))
        }
        return .answer(answer, vectors: vectors)
    }

    /// After a batch answer is stored: each of its items as the answer to a one-item request.
    func storeItems(
        _ batch: EmbeddingBatch, answer body: ByteBuffer, headers: [HeaderField], lookup: CacheLookup,
        createdAt: Timestamp
    ) async {
        guard let answer = try? JSONParser.parse(body.readableBytesView), let vectors = Self.vectors(in: answer),
            vectors.count == batch.items.count
        else { return }
        let total = Self.promptTokens(answer)
        for (index, vector) in vectors.enumerated() {
            // The batch's tokens split evenly, the remainder to the first items.
            let share = total / vectors.count + (index < total % vectors.count ? 1 : 0)
            let item = JSONValue.object([
                JSONMember(key: "object", value: .string("embedding")),
                JSONMember(key: "index", value: .number("0")),
                JSONMember(key: "embedding", value: vector),
            ])
            let entry = CacheEntry(
                namespace: lookup.namespace, status: 200, headers: headers,
                body: ByteBuffer(bytes: Self.listAnswer(data: [item], model: answer["model"], tokens: share)),
                bodyKind: .complete, canonicalRequest: ByteBuffer(bytes: batch.itemRequests[index]),
                recipeVersion: CacheKeyRecipe.version,
                request: lookup.recipe.storedRequest(model: lookup.model), createdAt: createdAt,
                expiresAt: lookup.expiresAt(from: createdAt))
            await services.cache.put(batch.itemKeys[index], entry)
        }
    }

    /// The `embedding` of each element of an answer's `data`, in the order of their `index`.
    static func vectors(in answer: JSONValue) -> [JSONValue]? {
        guard case .array(let data)? = answer["data"] else { return nil }
        var byIndex: [Int: JSONValue] = [:]
        for (position, element) in data.enumerated() {
            guard let vector = element["embedding"] else { return nil }
            byIndex[element["index"]?.intValue ?? position] = vector
        }
        let vectors = (0..<data.count).compactMap { byIndex[$0] }
        return vectors.count == data.count ? vectors : nil
    }

    static func promptTokens(_ answer: JSONValue) -> Int {
        max(0, answer["usage"]?["prompt_tokens"]?.intValue ?? 0)
    }

    static func listAnswer(data: [JSONValue], model: JSONValue?, tokens: Int) -> [UInt8] {
        CanonicalJSON.serializeInOrder(
            .object([
                JSONMember(key: "object", value: .string("list")),
                JSONMember(key: "data", value: .array(data)),
                JSONMember(key: "model", value: model ?? .null),
                JSONMember(
                    key: "usage",
                    value: .object([
                        JSONMember(key: "prompt_tokens", value: .number(String(tokens))),
                        JSONMember(key: "total_tokens", value: .number(String(tokens))),
                    ])),
            ]))
    }

    static func replacing(_ name: String, with value: JSONValue, in object: JSONValue) -> JSONValue {
        guard case .object(let members) = object else { return object }
        return .object(members.map { $0.key == name ? JSONMember(key: name, value: value) : $0 })
    }
}
