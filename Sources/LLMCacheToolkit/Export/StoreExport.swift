import LLMCacheCore
import LLMCacheStore
import NIOCore
import NIOPosix

/// `llmcache export` and the admin API's export: the store's entries (those `filter` takes) in
/// the portable export format.
public enum StoreExport {
    public struct Summary: Sendable {
        public var exported = 0
        /// Records that could not be read (named with the reason); they are not exported.
        public var unreadable: [(key: String, reason: String)] = []

        /// The export line of `record`, or nil (noted as unreadable) when it cannot be read.
        mutating func line(_ record: DiskTier.ScannedRecord, form: ExportForm = .compact) -> [UInt8]? {
            switch record.entry {
            case .success(let entry):
                exported += 1
                let exported = ExportRecord(key: record.key, entry: entry)
                return form == .compact ? ExportFormat.recordLine(exported) : RecordingFormat.line(exported)
            case .failure(let error):
                unreadable.append((record.key.hex, error.description))
                return nil
            }
        }
    }

    /// Writes the export file at `path` (zstd-compressed, or the reviewable form) from a store
    /// directory or the shared tier, in key order.
    public static func run(
        store: EntryStore, to path: String, filter: EntryFilter, now: Timestamp, form: ExportForm = .compact
    ) async throws -> Summary {
        let writer = try ExportFileWriter(
            path: path, store: TenantScope.storeID(secret: try await store.tenantSecret()), created: now, form: form)
        var summary = Summary()
        try await store.forEachPage(namespace: filter.namespace, where: filter.matches) { page in
            for record in page {
                if let line = summary.line(record, form: form) { try writer.write(line: line) }
            }
        }
        try writer.finish()
        return summary
    }

    /// The same lines uncompressed, handed to `write` one page of records at a time: each page is
    /// read on the blocking-I/O pool, and the next is read only after `write` returned — a slow
    /// reader holds one page in memory, not the store. `import` reads the result (plain JSON lines
    /// are accepted as well as zstd).
    public static func stream(
        store: DiskTier, filter: EntryFilter, now: Timestamp, pageSize: Int = 64,
        write: (ByteBuffer) async throws -> Void
    ) async throws -> Summary {
        let storeID = TenantScope.storeID(secret: try store.tenantSecret())
        try await write(ByteBuffer(bytes: ExportFormat.headerLine(store: storeID, created: now)))
        var summary = Summary()
        var position: DiskTier.ScanPosition? = nil
        repeat {
            let after = position
            let page = try await NIOThreadPool.singleton.runIfActive {
                try store.scanPage(after: after, where: filter.matches, pageSize: pageSize)
            }
            var buffer = ByteBuffer()
            for record in page.records {
                if let line = summary.line(record) { buffer.writeBytes(line) }
            }
            if buffer.readableBytes > 0 { try await write(buffer) }
            position = page.next
        } while position != nil
        try await write(ByteBuffer(bytes: ExportFormat.trailerLine(records: summary.exported)))
        return summary
    }
}
