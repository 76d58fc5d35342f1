import LLMCacheCore
import LLMCacheShared
import LLMCacheStore

/// `llmcache verify`: every record of a store or of an export file checked; bad ones named.
public enum Verify {
    public struct Report: Sendable {
        public var checked = 0
        /// Each bad record: where (a key, or `line N`) and why.
        public var bad: [(location: String, reason: String)] = []
        public var fileError: String?
        public var isClean: Bool { bad.isEmpty && fileError == nil }
    }

    public static func store(_ store: DiskTier) throws -> Report {
        let (checked, bad) = try store.verify()
        return Report(checked: checked, bad: bad.map { ("key \($0.key)", $0.reason) })
    }

    /// Every row of the shared tier (checksums, structure, each key against its request).
    public static func shared(_ shared: SharedTier) async throws -> Report {
        var report = Report()
        try await EntryStore.shared(shared).forEachPage { page in
            for record in page {
                report.checked += 1
                switch record.entry {
                case .failure(let error): report.bad.append(("key \(record.key)", error.description))
                case .success(let entry):
                    if let reason = mismatch(record.key, entry) { report.bad.append(("key \(record.key)", reason)) }
                }
            }
        }
        return report
    }

    /// Why `entry` does not belong under `key` (its request gives another key), or nil.
    static func mismatch(_ key: CacheKey, _ entry: CacheEntry) -> String? {
        guard let recipe = entry.keyRecipe, entry.recipeVersion == CacheKeyRecipe.version, recipe.key != key else {
            return nil
        }
        return "key \(key.hex) does not match its request"
    }

    /// Checks checksums, structure and that each record's key matches its request.
    public static func exportFile(_ path: String, maximumLineBytes: Int = 160 << 20) throws -> Report {
        var report = Report()
        let outcome = try ExportFileReader(path: path, maximumLineBytes: maximumLineBytes).forEachRecord {
            number, _, result in
            switch result {
            case .success(let record):
                if let reason = mismatch(record.key, record.entry) { report.bad.append(("line \(number)", reason)) }
            case .failure(let error):
                report.bad.append(("line \(number)", error.message))
            }
        }
        report.checked = outcome.records
        report.fileError = outcome.fileError
        return report
    }
}
