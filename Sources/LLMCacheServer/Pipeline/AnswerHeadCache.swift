import HTTPTypes
import LLMCacheCore
import Synchronization

/// The fields a lean hit answers with, made once per stored answer: the stored headers as
/// ``ReplayedHeaders`` treats them, the length and the proxy's marks, with `age` in its place
/// (a hit then sets only `age`, `date` and `server`). Rebuilding them was the largest cost of
/// the lean path after the key (a tenth of a hit's CPU). A kept head is used only for the same
/// key, the same stored answer (creation time, status and headers compared — the packed
/// headers' bytes, nothing rebuilt) and the same tier. Bounded: 4,096 heads, all forgotten when
/// full.
final class AnswerHeadCache: Sendable {
    private struct Head {
        let createdAt: Timestamp
        let status: Int
        /// The answer the head was made for (an entry of headers only: the body is not kept).
        let storedHeaders: PackedEntry
        let tier: ResponseTier
        let fields: HTTPFields
    }

    private let heads = Mutex([CacheKey: Head]())
    private let capacity: Int

    init(capacity: Int = 4_096) { self.capacity = capacity }

    /// The status and fields for a hit on `entry` under `key` from `tier`, `age` still to set.
    func head(for key: CacheKey, entry packed: PackedEntry, tier: ResponseTier) -> (HTTPResponse.Status, HTTPFields) {
        if let kept = heads.withLock({ $0[key] }), kept.createdAt == packed.createdAt, kept.status == packed.status,
            kept.tier == tier, kept.storedHeaders.hasHeaders(of: packed)
        {
            return (HTTPResponse.Status(code: packed.status), kept.fields)
        }
        let entry = packed.entry
        var (status, fields) = CachedResponse.head(entry, now: entry.createdAt)
        // In the order the full pipeline's response has them: its length, then the marks.
        if case .complete = entry.bodyKind { fields[.contentLength] = String(entry.body.readableBytes) }
        ProxyAnswer.mark(&fields, status: .hit, tier: tier, key: key)
        var headersOnly = CacheEntry(headers: entry.headers, createdAt: entry.createdAt)
        headersOnly.status = entry.status
        guard let storedHeaders = PackedEntry.pack(headersOnly) else { return (status, fields) }
        let head = Head(
            createdAt: entry.createdAt, status: entry.status, storedHeaders: storedHeaders, tier: tier, fields: fields)
        heads.withLock { heads in
            if heads.count >= capacity { heads.removeAll(keepingCapacity: true) }
            heads[key] = head
        }
        return (status, fields)
    }
}
