import HTTPTypes
import NIOCore
import Synchronization

/// The lookups of requests that hit recently, by their exact bytes: a repeated request skips
/// parsing, canonicalizing and hashing its body (a fifth of the lean path's CPU on a profile of
/// L1 hits) for one hash of the raw request and a comparison.
///
/// Exact: an entry answers only a request with the same path, the same header fields (every one,
/// values included; differently named fields may come in another order) and the same body bytes,
/// under the same tenant secret; everything the key stage reads is in those, and the rest of what
/// it reads (routes, key recipe, TTL) is the runtime snapshot that owns the memo — a reload
/// starts an empty one. Not used when key-rule plugins run (their rewrite is arbitrary code).
/// Bounded: bodies up to 64 KiB, at most 4,096 entries and 16 MiB of bodies, canonical bodies
/// and headers; it forgets everything when full.
final class LookupMemo: Sendable {
    private struct Entry {
        let path: String
        let fields: HTTPFields
        let body: ByteBuffer
        let lookup: CacheLookup
        let tenantGeneration: Int
        let bytes: Int
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var bytes = 0
    }

    static let maximumBodyBytes = 64 << 10
    private let maximumEntries: Int
    private let maximumBytes: Int
    private let state = Mutex(State())

    init(maximumEntries: Int = 4_096, maximumBytes: Int = 16 << 20) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    /// The lookup remembered for exactly this request, if any.
    func lookup(path: String, fields: HTTPFields, body: ByteBuffer, tenantGeneration: Int) -> CacheLookup? {
        guard body.readableBytes <= Self.maximumBodyBytes else { return nil }
        let hash = Self.hash(path: path, fields: fields, body: body)
        guard let entry = state.withLock({ $0.entries[hash] }) else { return nil }
        guard entry.tenantGeneration == tenantGeneration, entry.path == path, entry.body == body,
            entry.fields == fields
        else { return nil }
        return entry.lookup
    }

    /// Remembers `lookup` for this request.
    func remember(
        _ lookup: CacheLookup, path: String, fields: HTTPFields, body: ByteBuffer, tenantGeneration: Int
    ) {
        guard body.readableBytes <= Self.maximumBodyBytes else { return }
        let hash = Self.hash(path: path, fields: fields, body: body)
        let bytes =
            body.readableBytes + lookup.canonical.count + path.utf8.count
            + fields.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count }
        let entry = Entry(
            path: path, fields: fields, body: body, lookup: lookup, tenantGeneration: tenantGeneration, bytes: bytes)
        state.withLock { state in
            if state.entries.count >= maximumEntries || state.bytes + bytes > maximumBytes {
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            if let replaced = state.entries.updateValue(entry, forKey: hash) { state.bytes -= replaced.bytes }
            state.bytes += bytes
        }
    }

    /// Entries held now.
    var count: Int { state.withLock { $0.entries.count } }

    /// Order-sensitive over the fields (equal requests whose fields come in another order hash
    /// apart: a miss here, never a wrong answer).
    private static func hash(path: String, fields: HTTPFields, body: ByteBuffer) -> Int {
        var hasher = Hasher()
        hasher.combine(path)
        for field in fields {
            hasher.combine(field.name.canonicalName)
            hasher.combine(field.value)
        }
        body.withUnsafeReadableBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}
