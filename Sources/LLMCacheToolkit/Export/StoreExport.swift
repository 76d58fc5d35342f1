import LLMCacheCore
import LLMCacheStore

/// `llmcache export`: the store's entries (those `filter` takes) into a portable file.
public enum StoreExport {
    public struct Summary: Sendable {
        public var exported = 0
        /// Records that could not be read (named with the reason); they are not exported.
        public var unreadable: [(key: String, reason: String)] = []
    }

    public static func run(store: DiskTier, to path: String, filter: EntryFilter, now: Timestamp) throws -> Summary {
        let writer = try ExportFileWriter(
            path: path, store: TenantScope.storeID(secret: try store.tenantSecret()), created: now)
        var summary = Summary()
        try store.scan(where: filter.matches) { record in
            switch record.entry {
            case .success(let entry):
                try writer.write(ExportRecord(key: record.key, entry: entry))
                summary.exported += 1
            case .failure(let error):
                summary.unreadable.append((record.key.hex, error.description))
            }
        }
        try writer.finish()
        return summary
    }
}
