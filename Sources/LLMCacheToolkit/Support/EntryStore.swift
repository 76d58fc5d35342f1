import LLMCacheCore
import LLMCacheShared
import LLMCacheStore
import NIOPosix

/// Where the offline tools read and write entries: a store directory (the disk tier) or the
/// tier several instances share (PostgreSQL). Both hold the same records with their requests,
/// and both scope credentials with a secret of their own, so export, import, inspect,
/// replay-check and purge behave the same over either.
public enum EntryStore: Sendable {
    case disk(DiskTier)
    case shared(SharedTier)

    /// What messages call it.
    public var label: String {
        switch self {
        case .disk(let disk): disk.configuration.directory
        case .shared(let shared): "the shared tier (tables \(shared.configuration.tablePrefix)*)"
        }
    }

    /// The tier's name as `x-llmcache-tier` gives it.
    public var tierName: String {
        switch self {
        case .disk: "disk"
        case .shared: "shared"
        }
    }

    /// The secret that keys this store's tenant scopes.
    public func tenantSecret() async throws -> [UInt8] {
        switch self {
        case .disk(let disk): return try disk.tenantSecret()
        case .shared(let shared):
            guard let secret = shared.tenantSecret else { throw ToolkitError("the shared tier has no secret yet") }
            return secret
        }
    }

    /// The live entry under `key`.
    public func entry(_ key: CacheKey) async throws -> CacheEntry? {
        switch self {
        case .disk(let disk): return try await NIOThreadPool.singleton.runIfActive { disk.get(key) }
        case .shared(let shared):
            do { return try await shared.entry(key) } catch let error as RecordError {
                throw ToolkitError("the shared tier's record \(key.hex) is damaged: \(error.description)")
            }
        }
    }

    /// Why `recipe` found nothing here (the nearest stored request and the differences).
    public func explainMiss(_ recipe: CacheKeyRecipe, model: String) async -> MissExplanation {
        switch self {
        case .disk(let disk):
            let fallback = MissExplanation(
                key: recipe.key, namespace: recipe.namespace, method: recipe.method, path: recipe.path, model: model)
            return (try? await NIOThreadPool.singleton.runIfActive { disk.explainMiss(recipe, model: model) })
                ?? fallback
        case .shared(let shared):
            return await shared.explainMiss(recipe, model: model)
        }
    }

    /// Hands `body` every record whose header `matches`, one page at a time (the next page is read
    /// after `body` returned), in key order. `namespace`, when given, narrows the reading itself
    /// (an index on the shared tier); `matches` still decides.
    public func forEachPage(
        namespace: String? = nil, where matches: @escaping @Sendable (RecordHeader) -> Bool = { _ in true },
        pageSize: Int = 256, _ body: ([DiskTier.ScannedRecord]) async throws -> Void
    ) async throws {
        switch self {
        case .disk(let disk):
            var position: DiskTier.ScanPosition? = nil
            repeat {
                let after = position
                let page = try await NIOThreadPool.singleton.runIfActive {
                    try disk.scanPage(
                        after: after,
                        where: { header in (namespace.map { header.namespace == $0 } ?? true) && matches(header) },
                        pageSize: pageSize)
                }
                if !page.records.isEmpty { try await body(page.records) }
                position = page.next
            } while position != nil
        case .shared(let shared):
            var cursor: SharedTier.PageCursor? = nil
            repeat {
                let page = try await shared.page(after: cursor, namespace: namespace, limit: pageSize)
                let taken = page.records.filter { matches($0.header) }
                if !taken.isEmpty { try await body(taken) }
                cursor = page.next
            } while cursor != nil
        }
    }

    /// Whether an entry this large can be stored here at all.
    public func accepts(_ entry: CacheEntry) -> Bool {
        switch self {
        case .disk(let disk): entry.contentByteCount <= disk.configuration.maximumEntryBytes
        case .shared: true
        }
    }

    /// Stores `entries` (replacing what their keys held) and makes them durable before returning.
    /// A disk entry too large for the store throws, naming its key.
    public func put(_ entries: [(CacheKey, CacheEntry)]) async throws {
        switch self {
        case .disk(let disk):
            try await NIOThreadPool.singleton.runIfActive {
                for (key, entry) in entries where !disk.put(key, entry) {
                    disk.commitPending()
                    guard disk.put(key, entry) else {
                        throw ToolkitError("entry \(key.hex) is too large for this store")
                    }
                }
                disk.commitPending()
            }
        case .shared(let shared):
            try await shared.write(now: entries)
        }
    }

    /// Removes the entries of `keys`; how many were stored. On the shared tier every running
    /// instance hears of it and drops them from its local tiers too.
    public func remove(_ keys: Set<CacheKey>) async throws -> Int {
        switch self {
        case .disk(let disk):
            return try await NIOThreadPool.singleton.runIfActive {
                var removed = 0
                for key in keys where disk.contains(key) {
                    disk.remove(key)
                    removed += 1
                }
                disk.commitPending()
                return removed
            }
        case .shared(let shared):
            return try await shared.remove(keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        }
    }

    /// Removes every entry whose header `matches`; how many.
    public func removeAll(matching matches: @escaping @Sendable (RecordHeader) -> Bool) async throws -> Int {
        switch self {
        case .disk(let disk):
            return try await NIOThreadPool.singleton.runIfActive { try disk.removeAll(matching: matches) }
        case .shared:
            var keys = Set<CacheKey>()
            try await forEachPage(where: matches) { page in keys.formUnion(page.map(\.key)) }
            return try await remove(keys)
        }
    }

    /// Removes the entries of a namespace; how many (on the shared tier, one announcement).
    public func removeAll(namespace: String) async throws -> Int {
        switch self {
        case .disk(let disk):
            return try await NIOThreadPool.singleton.runIfActive { try disk.removeAll(namespace: namespace) }
        case .shared(let shared): return try await shared.purge(namespace: namespace)
        }
    }

    /// Removes every entry; how many.
    public func removeAll() async throws -> Int {
        switch self {
        case .disk(let disk): return try await NIOThreadPool.singleton.runIfActive { try disk.removeAll() }
        case .shared(let shared): return try await shared.purgeAll()
        }
    }
}
