import LLMCacheCore
import LLMCacheStore

/// `llmcache import`: entries of an export file into a store, re-keyed when their namespace or
/// tenant scope is changed on the way in.
public enum StoreImport {
    public enum Conflict: String, Sendable, CaseIterable {
        /// Leave an entry already stored under the same key.
        case keep
        /// Replace it only with a newer one.
        case newer
        /// Always replace it.
        case replace
    }

    /// What becomes of the tenant scopes of imported entries.
    public enum Tenant: Sendable, Equatable {
        /// As exported: right when the file comes from this store.
        case keep
        /// No scope: readable by a server run with `--share-across-credentials`.
        case shared
        /// Scoped to this credential (the header value exactly as clients send it, e.g.
        /// `Bearer sk-…` or an `x-api-key` value) under this store's secret.
        case credential(String)
    }

    public struct Options: Sendable {
        public var conflict: Conflict
        public var namespace: String?
        public var tenant: Tenant
        public var maximumLineBytes: Int

        public init(
            conflict: Conflict = .keep, namespace: String? = nil, tenant: Tenant = .keep,
            maximumLineBytes: Int = 160 << 20
        ) {
            self.conflict = conflict
            self.namespace = namespace
            self.tenant = tenant
            self.maximumLineBytes = maximumLineBytes
        }
    }

    public struct Summary: Sendable {
        public var imported = 0
        public var replaced = 0
        public var keptExisting = 0
        public var expired = 0
        /// Entries scoped to credentials of another store, kept as they were (no credential can
        /// read them here: import with a tenant option).
        public var foreignScoped = 0
        /// Lines that were not imported, with the reason.
        public var bad: [(line: Int, reason: String)] = []
        /// A problem with the file as a whole (truncated, no end line, count mismatch).
        public var fileError: String?
    }

    /// Imports the export file at `path` into a store directory or the shared tier, in batches of
    /// `batchSize` entries (each made durable before the next is read).
    public static func run(
        _ path: String, into store: EntryStore, options: Options, now: Timestamp, batchSize: Int = 512
    ) async throws -> Summary {
        let secret = try await store.tenantSecret()
        let storeID = TenantScope.storeID(secret: secret)
        var summary = Summary()
        var batch = Batch()
        var records = try ExportRecordStream(
            ExportFileReader(path: path, maximumLineBytes: options.maximumLineBytes), now: now)
        while let chunk = try records.next() {
            for (number, source, record) in chunk {
                do {
                    guard
                        let (key, entry) = try prepare(
                            try record.get(), options: options, foreign: source != storeID, secret: secret, now: now,
                            summary: &summary)
                    else { continue }
                    guard store.accepts(entry) else {
                        throw ToolkitError("entry \(key.hex) is too large for this store")
                    }
                    var existing = batch.pending(key)
                    if existing == nil { existing = try await store.entry(key) }
                    guard keep(entry, over: existing, conflict: options.conflict, summary: &summary) else { continue }
                    batch.add(key, entry)
                    summary.imported += 1
                } catch let error as ToolkitError {
                    summary.bad.append((number, error.message))
                }
                if batch.count >= batchSize { try await store.put(batch.take()) }
            }
        }
        try await store.put(batch.take())
        summary.fileError = try records.outcome().fileError
        return summary
    }

    /// Entries read but not yet stored (a later line of the file may name the same key).
    private struct Batch {
        private var entries: [(CacheKey, CacheEntry)] = []
        private var positions: [CacheKey: Int] = [:]

        var count: Int { entries.count }

        func pending(_ key: CacheKey) -> CacheEntry? { positions[key].map { entries[$0].1 } }

        mutating func add(_ key: CacheKey, _ entry: CacheEntry) {
            if let position = positions[key] {
                entries[position].1 = entry
            } else {
                positions[key] = entries.count
                entries.append((key, entry))
            }
        }

        mutating func take() -> [(CacheKey, CacheEntry)] {
            defer {
                entries = []
                positions = [:]
            }
            return entries
        }
    }

    /// Whether `entry` is stored over `existing` (counted in `summary`).
    private static func keep(
        _ entry: CacheEntry, over existing: CacheEntry?, conflict: Conflict, summary: inout Summary
    )
        -> Bool
    {
        guard let existing else { return true }
        switch conflict {
        case .keep:
            summary.keptExisting += 1
            return false
        case .newer where existing.createdAt >= entry.createdAt:
            summary.keptExisting += 1
            return false
        default:
            summary.replaced += 1
            return true
        }
    }

    /// The key and entry `record` is stored as (re-keyed when its namespace or tenant scope
    /// changes); nil when it has expired (counted).
    private static func prepare(
        _ record: ExportRecord, options: Options, foreign: Bool, secret: [UInt8], now: Timestamp, summary: inout Summary
    ) throws -> (CacheKey, CacheEntry)? {
        var entry = record.entry
        var key = record.key
        let rescoped = options.namespace != nil || options.tenant != .keep
        if let request = entry.request, entry.recipeVersion == CacheKeyRecipe.version {
            guard
                request.recipe(
                    namespace: entry.namespace, canonicalBody: Array(entry.canonicalRequest.readableBytesView)
                ).key == key
            else { throw ToolkitError("key \(key.hex) does not match its request") }
        } else if rescoped {
            throw ToolkitError(
                "entry \(key.hex) does not record its request (or has another key recipe): it cannot be re-keyed")
        }
        if let namespace = options.namespace { entry.namespace = namespace }
        if var request = entry.request {
            switch options.tenant {
            case .keep:
                if foreign && !request.tenant.isEmpty { summary.foreignScoped += 1 }
            case .shared:
                request.tenant = []
            case .credential(let credential):
                request.tenant = TenantScope.scope(credential: credential, secret: secret)
            }
            entry.request = request
            if rescoped {
                key =
                    request.recipe(
                        namespace: entry.namespace, canonicalBody: Array(entry.canonicalRequest.readableBytesView)
                    ).key
            }
        }
        if entry.isExpired(at: now) {
            summary.expired += 1
            return nil
        }
        return (key, entry)
    }
}
