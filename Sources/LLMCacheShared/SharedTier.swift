import LLMCacheCore
import LLMCacheStore
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// L3: one cache shared by several llmcache instances, in a PostgreSQL table. It holds the disk
/// tier's records (``PortableRecord``: checksummed, zstd, with the canonical request); a lookup
/// is one indexed `SELECT` under `lookupTimeout` (slower, or failing: a miss, counted); stores
/// go write-behind through a bounded queue (``SharedWriteQueue``), batched into multi-row
/// upserts off the request path. TTL is enforced on read.
///
/// A `Service`: ``run()`` runs the writer and, at its end, closes the connection pool that
/// ``connect(_:proposedSecret:clock:logger:)`` opened (migrating the schema and reading the
/// tenant secret every instance shares).
public final class SharedTier: CacheTier, Service {
    public let name = "shared"
    public let configuration: SharedTierConfiguration
    public let schema: SharedSchema
    /// The secret every instance scopes credentials with (from the database); nil until the
    /// database has answered (see ``connect(_:proposedSecret:waitingForDatabase:clock:logger:)``).
    public var tenantSecret: [UInt8]? { secret.withLock { $0 } }
    private let secret = Mutex<[UInt8]?>(nil)
    private let proposedSecret: [UInt8]?
    /// Whether connecting creates missing tables (false for read-only tools).
    private let creating: Bool
    let client: PostgresClient
    /// Runs the client's connection pool.
    private let pool: Task<Void, Never>
    let clock: any WallClock
    let logger: Logger
    let records = PortableRecord()
    let queue: SharedWriteQueue
    let stats = SharedTierStats()
    /// This instance's name in the lease table.
    let instance = SharedSchema.hex(TenantScope.newSecret().prefix(12).map { $0 })
    let notifications = SharedNotifications()
    /// Keys this instance holds the lease of, with the answer stored under it (written by
    /// ``release(_:)``, not the queue).
    let leased = Mutex<[CacheKey: SharedWriteQueue.Row?]>([:])
    /// Leases this instance took, and waits for another instance's fetch it began (tests await
    /// these instead of sleeping).
    package let leasesTaken = EventCount()
    package let leaseWaits = EventCount()
    /// Rounds in which this instance renewed the leases it held.
    package let leaseRenewals = EventCount()
    /// Times the tier worked again after failing.
    package var recoveries: EventCount { stats.recoveries }
    /// Other instances' purges applied here.
    package let purgesApplied = EventCount()
    let purgeHandler = Mutex<(@Sendable (Purge) async -> Void)?>(nil)
    private let attachHandler = Mutex<(@Sendable ([UInt8]) async -> Void)?>(nil)
    /// Times the tier read the database's secret (once; tests await it).
    package let attached = EventCount()

    private init(
        configuration: SharedTierConfiguration, client: PostgresClient, pool: Task<Void, Never>, schema: SharedSchema,
        proposedSecret: [UInt8]?, creating: Bool, clock: any WallClock, logger: Logger
    ) {
        self.creating = creating
        self.configuration = configuration
        self.client = client
        self.pool = pool
        self.schema = schema
        self.proposedSecret = proposedSecret
        self.clock = clock
        self.logger = logger
        self.queue = SharedWriteQueue(limit: configuration.writeQueueLimit)
    }

    /// Connects, migrates (creating the tables unless `creating` is false) and reads the shared secret; the connection pool runs until
    /// ``run()`` ends (graceful shutdown) or ``close()``. `proposedSecret` becomes the shared
    /// secret when this instance creates the tables (an instance's own keys stay valid).
    ///
    /// Throws when the schema is refused (newer than this build, damaged) or the settings are
    /// invalid; when the database cannot be reached, throws too — unless `waitingForDatabase`:
    /// then the tier starts detached (every lookup a miss, stores dropped), ``run()`` keeps
    /// trying, and once the database answers the handler of ``onAttach(_:)`` learns its secret.
    public static func connect(
        _ configuration: SharedTierConfiguration, proposedSecret: [UInt8]? = nil, waitingForDatabase: Bool = false,
        creating: Bool = true, clock: any WallClock = SystemClock(), logger: Logger
    ) async throws -> SharedTier {
        guard SharedTierConfiguration.isValidPrefix(configuration.tablePrefix) else {
            throw DatabaseURL.Invalid(description: "shared.postgres.table_prefix must be [a-z_][a-z0-9_]*, at most 32")
        }
        let url = try DatabaseURL(configuration.url)
        if !waitingForDatabase {
            // The pool retries a connection that fails, so a query would only time out: one
            // connection first says why the database cannot be reached (refused, no such user…).
            try await probe(url, within: configuration.connectTimeout, logger: logger)
        }
        var clientConfiguration = try url.clientConfiguration()
        // One more than the pool: the connection that listens for other instances' fetches.
        clientConfiguration.options.maximumConnections = configuration.poolSize + 1
        clientConfiguration.options.connectTimeout = configuration.connectTimeout
        // A cache's commits need not wait for the WAL's fsync: a database crash may lose the last
        // moments of writes (refetched on the next miss), never consistency. Measured: commits of
        // 180 ms on this project's VM disk held every waiter on another instance that long. The
        // schema's migration commits synchronously all the same (``SharedSchema``).
        clientConfiguration.options.additionalStartupParameters = [
            ("synchronous_commit", "off"), ("application_name", "llmcache"),
        ]
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let tier = SharedTier(
            // Unstructured on purpose: the pool must run before the tier can migrate and read the
            // secret, which `ProxyServer.init` needs before any service group exists, and the
            // offline tools query through the tier without ever running it as a service. The tier
            // owns the task: `close()` (at the end of `run()`, after a tool's work, or on every
            // failed start) cancels and awaits it.
            configuration: configuration, client: client, pool: Task { await client.run() },
            schema: SharedSchema(prefix: configuration.tablePrefix, unlogged: configuration.unlogged),
            proposedSecret: proposedSecret, creating: creating, clock: clock, logger: logger)
        do {
            try await tier.attach()
        } catch let error where waitingForDatabase && !(error is SharedSchema.Failure) {
            tier.stats.failed(error, logger: logger)
            logger.error(
                "shared tier unreachable at start; serving without it until it answers",
                metadata: ["error": "\(SharedTierError.describe(error))"])
        } catch {
            await tier.close()
            throw error
        }
        return tier
    }

    /// Opens and closes one connection to `url`; throws why it cannot.
    private static func probe(_ url: DatabaseURL, within limit: Duration, logger: Logger) async throws {
        let configuration = try url.connectionConfiguration()
        try await withDeadline(limit, "connecting to \(url)") {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await connection.close()
        }
    }

    /// Migrates and reads the secret (once).
    private func attach() async throws {
        let state = try await withDeadline(configuration.connectTimeout * 3, "connecting to the shared tier") {
            [schema, client, proposedSecret, creating, logger] in
            try await schema.migrate(client, proposedSecret: proposedSecret, creating: creating, logger: logger)
        }
        if state.created {
            logger.info("shared tier created its tables", metadata: ["prefix": "\(configuration.tablePrefix)"])
        }
        secret.withLock { $0 = state.tenantSecret }
        stats.works(logger: logger)
        attached.add()
    }

    /// What to do once a tier that started detached has the database's secret (switch keys).
    public func onAttach(_ handler: @escaping @Sendable ([UInt8]) async -> Void) {
        attachHandler.withLock { $0 = handler }
    }

    /// Whether the tier has read the database's secret (it serves nothing before).
    var isAttached: Bool { secret.withLock { $0 != nil } }

    /// Tries to attach every second until it does or is cancelled; false when cancelled.
    private func attachUntilAttached() async -> Bool {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(1)) } catch { return false }
            do {
                try await attach()
                if let secret = tenantSecret { await attachHandler.withLock { $0 }?(secret) }
                return true
            } catch let error as SharedSchema.Failure {
                logger.error(
                    "the shared tier's database refuses this instance; serving without it",
                    metadata: ["error": "\(SharedTierError.describe(error))"])
                return false
            } catch {
                stats.failed(error, logger: logger)
            }
        }
        return false
    }

    /// Closes the connections (for a tier whose ``run()`` never started).
    public func close() async {
        pool.cancel()
        await pool.value
    }

    // MARK: - CacheTier

    public func lookup(_ key: CacheKey) async throws -> CacheEntry? {
        let entry = try await read(key)
        if entry == nil { stats.miss() } else { stats.hit() }
        return entry
    }

    /// The live entry for `key`, under `lookupTimeout`; errors and damage counted, hits and
    /// misses not.
    func read(_ key: CacheKey) async throws -> CacheEntry? {
        guard isAttached, stats.mayTry(breakerDelay: configuration.breakerDelay) else { throw SharedTierUnavailable() }
        let now = clock.now().nanosecondsSinceEpoch
        let keyBytes = ByteBuffer(bytes: key.bytes)
        let started = ContinuousClock.now
        let found: ByteBuffer?
        do {
            found = try await withDeadline(configuration.lookupTimeout, "shared-tier lookup") {
                [client, schema, logger] in
                let rows = try await client.query(
                    "SELECT record FROM \(unescaped: schema.entries) WHERE key = \(keyBytes) AND expires_at > \(now)",
                    logger: logger)
                for try await (record) in rows.decode(ByteBuffer.self) { return record }
                return nil
            }
        } catch {
            stats.failed(error, lookup: true, started: started, logger: logger)
            throw error
        }
        stats.answered(after: ContinuousClock.now - started, logger: logger)
        guard let found else { return nil }
        do {
            return try found.withUnsafeReadableBytes { try records.decode($0) }
        } catch {
            // A damaged row is a miss, never a crash; it is replaced by the next store.
            stats.damaged()
            logger.warning(
                "damaged shared-tier record; treated as a miss", metadata: ["key": "\(key)", "error": "\(error)"])
            return nil
        }
    }

    @discardableResult
    public func store(_ key: CacheKey, _ entry: CacheEntry) async -> Bool {
        // Detached, this instance's keys may not be the database's yet.
        guard isAttached else {
            stats.dropped()
            return false
        }
        guard let row = try? row(key, entry) else { return false }
        // Under this instance's lease: written when the lease is released, before the waiters wake.
        let underLease = leased.withLock { leased in
            guard leased[key] != nil else { return false }
            leased[key] = .some(row)
            return true
        }
        if underLease || queue.enqueue(row) { return true }
        stats.dropped()
        return false
    }

    public func holds(_ key: CacheKey) async -> Bool {
        let keyBytes = ByteBuffer(bytes: key.bytes)
        return (try? await first("SELECT 1 FROM \(unescaped: schema.entries) WHERE key = \(keyBytes)", Int32.self))
            != nil
    }

    @discardableResult
    public func evict(_ key: CacheKey) async -> Bool {
        let keyBytes = ByteBuffer(bytes: key.bytes)
        let removed = ((try? await count("DELETE FROM \(unescaped: schema.entries) WHERE key = \(keyBytes)")) ?? 0) > 0
        await announce(.key(key))
        return removed
    }

    public func purge(namespace: String) async throws -> Int {
        let removed = try await count("DELETE FROM \(unescaped: schema.entries) WHERE namespace = \(namespace)")
        await announce(.namespace(namespace))
        return removed
    }

    public func purgeAll() async throws -> Int {
        let removed = try await count("DELETE FROM \(unescaped: schema.entries)")
        await announce(.all)
        return removed
    }

    public var counts: TierCounts { stats.counts }

    public func resetStats() { stats.reset() }

    /// The tier's own counters (errors, drops, queue depth, lookup latency) for `/stats`.
    public var report: SharedTierStats.Report { stats.report(queueDepth: queue.depth) }

    // MARK: - Writing

    /// The table row of `entry` under `key` (its record encoded).
    func row(_ key: CacheKey, _ entry: CacheEntry) throws -> SharedWriteQueue.Row {
        SharedWriteQueue.Row(
            key: key, namespace: entry.namespace, createdAt: entry.createdAt.nanosecondsSinceEpoch,
            expiresAt: (entry.expiresAt ?? .distantFuture).nanosecondsSinceEpoch, record: try records.encode(entry))
    }

    /// Runs the writer until graceful shutdown, then writes what is queued and closes the
    /// connections.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            if !self.isAttached, !(await self.attachUntilAttached()) { return }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listenForReleases() }
                group.addTask { await self.sweepUntilCancelled() }
                group.addTask { await self.renewLeasesUntilCancelled() }
                await self.writeUntilCancelled()
                group.cancelAll()
            }
        }
        await flush()
        await close()
    }

    /// Writes every queued entry now (tests and shutdown).
    /// Also waits for a batch the writer is writing at that moment (and writes it if the writer
    /// gave it back); returns early when the database does not take a batch.
    public func flush() async {
        while true {
            let batch = queue.take(upTo: configuration.batchSize)
            if batch.isEmpty {
                if await queue.waitUntilNoneInFlight() { continue }
                return
            }
            guard await write(batch) else {
                queue.giveBack(batch)
                return
            }
            queue.written()
        }
    }

    private func writeUntilCancelled() async {
        while !Task.isCancelled {
            await queue.waitForRows()
            let batch = queue.take(upTo: configuration.batchSize)
            if batch.isEmpty { continue }
            if await write(batch) {
                queue.written()
            } else {
                queue.giveBack(batch)
                // The database is away: try again in a while (a lookup notices sooner).
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// One multi-row upsert; false when the database did not take it.
    private func write(_ batch: [SharedWriteQueue.Row]) async -> Bool {
        let started = ContinuousClock.now
        do {
            try await client.query(Self.upsert(schema, batch), logger: logger)
            stats.wrote(batch.count, logger: logger)
            return true
        } catch {
            stats.failed(error, started: started, logger: logger)
            return false
        }
    }

    /// One multi-row upsert of `rows`.
    static func upsert(_ schema: SharedSchema, _ rows: [SharedWriteQueue.Row]) -> PostgresQuery {
        let keys = rows.map { ByteBuffer(bytes: $0.key.bytes) }
        let namespaces = rows.map(\.namespace)
        let created = rows.map(\.createdAt)
        let expires = rows.map(\.expiresAt)
        let sizes = rows.map { Int32(clamping: $0.record.count) }
        let records = rows.map { ByteBuffer(bytes: $0.record) }
        return """
            INSERT INTO \(unescaped: schema.entries) (key, namespace, created_at, expires_at, size, record)
            SELECT * FROM unnest(\(keys)::bytea[], \(namespaces)::text[], \(created)::int8[], \(expires)::int8[],
                                 \(sizes)::int4[], \(records)::bytea[])
            ON CONFLICT (key) DO UPDATE SET namespace = excluded.namespace, created_at = excluded.created_at,
                expires_at = excluded.expires_at, size = excluded.size, record = excluded.record
            """
    }

    // MARK: - Queries

    private func first<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, _ type: T.Type) async throws -> T? {
        let rows = try await client.query(query, logger: logger)
        for try await value in rows.decode(T.self) { return value }
        return nil
    }

    /// Runs a `DELETE`; how many rows it removed.
    func count(_ query: PostgresQuery) async throws -> Int {
        var counted = query
        counted.sql += " RETURNING 1"
        return try await Self.rowCount(client.query(counted, logger: logger))
    }

    /// How many rows `rows` holds (a `DELETE … RETURNING 1`'s count).
    static func rowCount(_ rows: PostgresRowSequence) async throws -> Int {
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }
}

/// Runs `operation`, or throws ``SharedTierTimeout`` once `limit` has passed (the operation is
/// cancelled).
func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await TimerSleep.sleep(for: limit)  // freed when the operation finishes first
            return nil
        }
        defer { group.cancelAll() }
        // The first to finish decides: the operation's value, or the sleep's nil.
        guard let first = try await group.next(), let value = first else {
            throw SharedTierTimeout(what: what, limit: limit)
        }
        return value
    }
}

/// The breaker is open: the database failed a moment ago, so this lookup is a miss at once.
public struct SharedTierUnavailable: Error, CustomStringConvertible {
    public var description: String { "the shared tier is failing; not tried (breaker open)" }
}

public struct SharedTierTimeout: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    public var description: String { "\(what) took longer than \(limit)" }
}
