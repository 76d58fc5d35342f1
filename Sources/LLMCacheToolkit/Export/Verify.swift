import LLMCacheCore
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

    /// Checks checksums, structure and that each record's key matches its request.
    public static func exportFile(_ path: String, maximumLineBytes: Int = 160 << 20) throws -> Report {
        var report = Report()
        let outcome = try ExportFileReader(path: path, maximumLineBytes: maximumLineBytes).forEachRecord {
            number, _, result in
            switch result {
            case .success(let record):
                if let recipe = record.entry.keyRecipe, record.entry.recipeVersion == CacheKeyRecipe.version,
                    recipe.key != record.key
                {
                    report.bad.append(("line \(number)", "key \(record.key.hex) does not match its request"))
                }
            case .failure(let error):
                report.bad.append(("line \(number)", error.message))
            }
        }
        report.checked = outcome.records
        report.fileError = outcome.fileError
        return report
    }
}
