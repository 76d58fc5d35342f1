/// How to reach and use the shared tier's database (`shared.postgres.*` in the configuration).
public struct SharedTierConfiguration: Sendable, Equatable {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, or with `?host=/socket/directory` for a
    /// Unix socket (`postgres://USER@/DATABASE?host=/run/postgresql`).
    public var url: String
    /// Connections in the pool.
    public var poolSize: Int
    /// Prefix of the tables (letters, digits and `_`): several deployments can share a database.
    public var tablePrefix: String
    /// A lookup slower than this counts as a miss (and an error).
    public var lookupTimeout: Duration
    /// Time allowed to connect.
    public var connectTimeout: Duration
    /// Create the entries table `UNLOGGED` (faster writes, emptied by a database crash).
    public var unlogged: Bool
    /// Entries waiting to be written; beyond it new stores are dropped (and counted).
    public var writeQueueLimit: Int
    /// Entries per multi-row upsert.
    public var batchSize: Int
    /// Bound on the records' bytes; nil: unbounded.
    public var maxBytes: Int?
    /// How long one instance's lease of a fetch lasts unless renewed: the instance renews it every
    /// third of this while it fetches, and the others wait as long as it does; once it lapses (the
    /// instance died), a waiting instance fetches itself.
    public var leaseTimeout: Duration
    /// While the database fails, lookups and leases try it once per this delay; the rest are
    /// misses at once.
    public var breakerDelay: Duration

    public init(
        url: String, poolSize: Int = 8, tablePrefix: String = "llmcache_", lookupTimeout: Duration = .milliseconds(50),
        connectTimeout: Duration = .seconds(5), unlogged: Bool = false, maxBytes: Int? = nil,
        writeQueueLimit: Int = 10_000, batchSize: Int = 200, leaseTimeout: Duration = .seconds(30),
        breakerDelay: Duration = .seconds(2)
    ) {
        self.url = url
        self.poolSize = poolSize
        self.tablePrefix = tablePrefix
        self.lookupTimeout = lookupTimeout
        self.connectTimeout = connectTimeout
        self.unlogged = unlogged
        self.writeQueueLimit = writeQueueLimit
        self.batchSize = batchSize
        self.maxBytes = maxBytes
        self.leaseTimeout = leaseTimeout
        self.breakerDelay = breakerDelay
    }

    /// Whether `prefix` can name tables without quoting (and without injection).
    public static func isValidPrefix(_ prefix: String) -> Bool {
        !prefix.isEmpty && prefix.count <= 32
            && prefix.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && !("0"..."9").contains(prefix.unicodeScalars.first!)
    }
}
