import Crypto
import HTTPTypes
import LLMCacheCore
import Synchronization

/// Sample buckets (`cache.samples: K`): a request that is not deterministic — `temperature`
/// above 0 (or absent, the providers' default being 1, on any route but embeddings), `n` above 1,
/// or an `x-llmcache-sample` header — is answered from one of up to K answers stored under its
/// key. The client picks the index (`x-llmcache-sample: I`, 0 ≤ I < K, for eval epochs); else
/// the proxy rotates through 0, 1, …, K−1, 0, … per key, starting at 0 in every process — so
/// the same sequence of requests gets the same answers in the same order after a restart and in
/// replay. A missing index is fetched and stored as that index. Index 0 is the key itself: with
/// K = 1 (the default) nothing changes.
struct SampleRequest: Sendable, Equatable {
    let count: Int
    /// The client's index; nil: the rotation's.
    let pinned: Int?

    static let header = HTTPField.Name("x-llmcache-sample")!
    /// The most samples a key may hold (a key's indices are kept as one 64-bit set).
    static let maximumCount = 64

    /// The sampling `request` asks for under `count` samples per key; nil when it is
    /// deterministic or sampling is off.
    /// - Throws: 400 for an `x-llmcache-sample` that is not an index below `count`.
    static func of(path: String, body: JSONValue, headers: HTTPFields, count: Int) throws -> SampleRequest? {
        guard count > 1 else { return nil }
        if let text = headers[header] {
            guard let index = Int(text.trimmedSpaces), (0..<count).contains(index) else {
                throw ProxyError.badRequest("x-llmcache-sample must be a sample index from 0 to \(count - 1)")
            }
            return SampleRequest(count: count, pinned: index)
        }
        let sampled: Bool
        func number(_ value: JSONValue?) -> Double? {
            if case .number(let spelling)? = value { Double(spelling) } else { nil }
        }
        if let n = number(body["n"]), n > 1 {
            sampled = true
        } else if let temperature = body["temperature"] {
            sampled = (number(temperature) ?? 0) > 0
        } else {
            sampled = !path.hasSuffix("/embeddings")
        }
        return sampled ? SampleRequest(count: count, pinned: nil) : nil
    }

    /// The key of sample `index` of `key`: the key itself for 0, else a digest of both.
    static func key(_ key: CacheKey, sample index: Int) -> CacheKey {
        guard index > 0 else { return key }
        var hasher = SHA256()
        hasher.update(data: Array("llmcache sample v1".utf8))
        hasher.update(data: key.bytes)
        hasher.update(data: Array(String(index).utf8))
        return CacheKey(digest: Array(hasher.finalize()))!
    }
}

/// The rotation of each sampled key (which index its next request gets) and which indices it
/// has answered in this process. Bounded: past ``maximumKeys`` keys it starts over.
final class SampleRotation: Sendable {
    private struct State {
        var keys: [CacheKey: (next: Int, answered: UInt64)] = [:]
    }

    private let state = Mutex(State())
    static let maximumKeys = 100_000

    /// The index that answers this request of `key`; `heldBefore`/`heldAfter`: how many distinct
    /// indices the key had answered before and after (for `/stats`).
    func choose(_ key: CacheKey, _ request: SampleRequest) -> (index: Int, heldBefore: Int, heldAfter: Int) {
        state.withLock { state in
            if state.keys[key] == nil, state.keys.count >= Self.maximumKeys { state.keys.removeAll() }
            var entry = state.keys[key] ?? (0, 0)
            let index = request.pinned ?? entry.next % request.count
            if request.pinned == nil { entry.next = (entry.next + 1) % request.count }
            let before = entry.answered.nonzeroBitCount
            entry.answered |= 1 << UInt64(index)
            state.keys[key] = entry
            return (index, before, entry.answered.nonzeroBitCount)
        }
    }
}
