import LLMCacheCore

extension DiskTier {
    /// How durable a commit is. With every mode, a crash of the llmcache *process* loses nothing
    /// that was committed (the data is in the kernel's page cache); the modes differ on a crash
    /// of the *machine* (power loss, kernel panic).
    public enum SyncMode: String, Sendable, CaseIterable {
        /// fsync data and meta page on every commit (LMDB default): a committed batch survives
        /// a machine crash.
        case full
        /// fsync data but not the meta page (`MDB_NOMETASYNC`): a machine crash may lose the last
        /// committed batch; the store stays consistent.
        case meta
        /// No fsync (`MDB_NOSYNC`): a machine crash may lose every batch since the OS last
        /// flushed (typically up to ~30 s); the store stays consistent (no `WRITEMAP`).
        case none
    }

    /// Where and how the disk tier stores records.
    public struct Configuration: Sendable, Equatable {
        /// The store directory (created if missing). Holds LMDB's `data.mdb` and `lock.mdb`.
        public var directory: String
        /// Bound on stored record bytes; over it the least recently accessed records are
        /// evicted down to `lowWatermark` of it. `nil`: unbounded.
        public var maxBytes: Int?
        /// Eviction stops once stored bytes are at or below this fraction of `maxBytes`.
        public var lowWatermark: Double
        public var sync: SyncMode
        public var compressionLevel: Int32
        /// Entries larger than this (contents, uncompressed) are not stored; also the cap on
        /// decompressing any record.
        public var maximumEntryBytes: Int
        /// Writes waiting for the writer beyond this many bytes are dropped (never blocking a
        /// response); each drop is counted.
        public var maximumPendingBytes: Int
        public var initialMapSize: Int
        public var maximumMapSize: Int
        /// The tenant secret the store is created with (an existing store keeps its own).
        public var tenantScope: TenantScopeKind

        public init(
            directory: String,
            maxBytes: Int? = nil,
            lowWatermark: Double = 0.9,
            sync: SyncMode = .full,
            compressionLevel: Int32 = 3,
            maximumEntryBytes: Int = 64 << 20,
            maximumPendingBytes: Int = 64 << 20,
            initialMapSize: Int = 256 << 20,
            maximumMapSize: Int = 1 << 40,
            tenantScope: TenantScopeKind = .portable
        ) {
            self.directory = directory
            self.maxBytes = maxBytes
            self.lowWatermark = lowWatermark
            self.sync = sync
            self.compressionLevel = compressionLevel
            self.maximumEntryBytes = maximumEntryBytes
            self.maximumPendingBytes = maximumPendingBytes
            self.initialMapSize = initialMapSize
            self.maximumMapSize = maximumMapSize
            self.tenantScope = tenantScope
        }
    }
}
