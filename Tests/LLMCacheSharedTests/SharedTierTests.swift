import LLMCacheCore
import LLMCacheShared
import LLMCacheStore
import LLMCacheTestSupport
import Logging
import NIOCore
import PostgresNIO
import Testing

/// The shared tier against a real PostgreSQL server (a throwaway cluster per test, on a Unix
/// socket): several tiers opened on one database stand for several llmcache instances.
extension PostgresSuites {
    @Suite struct SharedTierTests {
        static let logger: Logger = {
            var logger = Logger(label: "test.shared")
            logger.logLevel = .critical
            return logger
        }()

        static func entry(_ text: String, namespace: String = "", expiresAt: Timestamp? = nil) -> CacheEntry {
            CacheEntry(
                namespace: namespace, status: 200,
                headers: [HeaderField(name: "content-type", value: "application/json")],
                body: ByteBuffer(string: #"{"answer":"\#(text)"}"#), bodyKind: .complete,
                canonicalRequest: ByteBuffer(string: #"{"messages":"\#(text)"}"#), recipeVersion: 2,
                request: StoredRequest(method: "POST", path: "/v1/chat/completions", upstream: "openai"),
                createdAt: Timestamp(secondsSinceEpoch: 1_700_000_000), expiresAt: expiresAt)
        }

        /// Runs `body` with `count` tiers ("instances") on a fresh cluster.
        static func withTiers(
            _ count: Int, prefix: String = "llmcache_", lookupTimeout: Duration = .seconds(5),
            _ body: (PostgresCluster, [SharedTier]) async throws -> Void
        ) async throws {
            try await PostgresCluster.with { cluster in
                try await withTiers(count, on: cluster, prefix: prefix, lookupTimeout: lookupTimeout, body)
            }
        }

        private static func withTiers(
            _ count: Int, on cluster: PostgresCluster, prefix: String, lookupTimeout: Duration,
            _ body: (PostgresCluster, [SharedTier]) async throws -> Void
        ) async throws {
            let configuration = SharedTierConfiguration(
                url: cluster.url, poolSize: 2, tablePrefix: prefix, lookupTimeout: lookupTimeout,
                connectTimeout: .seconds(5))
            try await withThrowingTaskGroup(of: Void.self) { group in
                var tiers: [SharedTier] = []
                for _ in 0..<count {
                    tiers.append(try await SharedTier.connect(configuration, logger: logger))
                }
                for tier in tiers { group.addTask { try await tier.run() } }
                do { try await body(cluster, tiers) } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        }

        /// A cache's commits do not wait for the WAL's fsync (`synchronous_commit = off`): the
        /// release that wakes other instances' waiters is not held by the disk.
        @Test func theTiersSessionsCommitWithoutWaitingForTheDisk() async throws {
            try await Self.withTiers(1) { _, tiers in
                let commit = try await tiers[0].sessionSetting("synchronous_commit")
                let name = try await tiers[0].sessionSetting("application_name")
                #expect(commit == "off")
                #expect(name == "llmcache")
            }
        }

        @Test func everyInstanceReadsTheSecretTheFirstCreated() async throws {
            try await Self.withTiers(3) { _, tiers in
                #expect(tiers[0].tenantSecret?.count == 32)
                #expect(
                    Set(tiers.map(\.tenantSecret)).count == 1, "one secret for all: the same keys on every instance")
            }
        }

        @Test func anEntryStoredThroughOneInstanceIsAHitOnTheOthers() async throws {
            try await Self.withTiers(2) { _, tiers in
                let key = CacheKey(identifier: 1)
                let absent = try await tiers[1].lookup(key)
                #expect(absent == nil)
                #expect(await tiers[0].store(key, Self.entry("one", namespace: "team-a")))
                await tiers[0].flush()
                let found = try #require(try await tiers[1].lookup(key))
                #expect(String(buffer: found.body) == #"{"answer":"one"}"#)
                #expect(found.namespace == "team-a" && found.status == 200)
                #expect(found.headers == [HeaderField(name: "content-type", value: "application/json")])
                #expect(String(buffer: found.canonicalRequest) == #"{"messages":"one"}"#, "misses can be explained")
                #expect(await tiers[1].holds(key))
                #expect(tiers[1].counts.hits == 1 && tiers[1].counts.misses == 1)
            }
        }

        /// A fetch that ended between another instance's lookup and its lease leaves the answer, not
        /// a free lease: the late instance answers from the table instead of fetching again.
        @Test func noLeaseIsGrantedForAnAnswerAlreadyStored() async throws {
            try await Self.withTiers(2) { _, tiers in
                let key = CacheKey(identifier: 3)
                await tiers[0].store(key, Self.entry("fetched meanwhile"))
                await tiers[0].flush()
                guard case .answered(let entry) = await tiers[1].lease(key) else {
                    Issue.record("a lease was granted for a stored answer")
                    return
                }
                #expect(String(buffer: entry.body) == #"{"answer":"fetched meanwhile"}"#)
                guard case .granted(let lease) = await tiers[1].lease(CacheKey(identifier: 33)) else {
                    Issue.record("no lease for a key nobody fetches")
                    return
                }
                await lease.release()
            }
        }

        @Test func anExpiredEntryIsAMiss() async throws {
            try await Self.withTiers(1) { _, tiers in
                let key = CacheKey(identifier: 2)
                await tiers[0].store(key, Self.entry("old", expiresAt: Timestamp(secondsSinceEpoch: 1_700_000_100)))
                await tiers[0].flush()
                let absent = try await tiers[0].lookup(key)
                #expect(absent == nil, "TTL is enforced on read")
                #expect(await tiers[0].holds(key), "the row stays until it is swept")
            }
        }

        @Test func purgesRemoveByKeyNamespaceAndAll() async throws {
            try await Self.withTiers(2) { _, tiers in
                for (index, namespace) in ["a", "a", "b"].enumerated() {
                    await tiers[0].store(
                        CacheKey(identifier: UInt64(10 + index)), Self.entry("\(index)", namespace: namespace))
                }
                await tiers[0].flush()
                #expect(await tiers[1].evict(CacheKey(identifier: 10)))
                #expect(try await tiers[1].purge(namespace: "a") == 1)
                let absent = try await tiers[0].lookup(CacheKey(identifier: 11))
                #expect(absent == nil)
                #expect(try await tiers[1].purgeAll() == 1)
                let gone = try await tiers[0].lookup(CacheKey(identifier: 12))
                #expect(gone == nil)
            }
        }

        @Test func aDamagedRowIsAMissNotACrash() async throws {
            try await Self.withTiers(1) { cluster, tiers in
                let key = CacheKey(identifier: 3)
                await tiers[0].store(key, Self.entry("fine"))
                await tiers[0].flush()
                try await Self.sql(cluster, "UPDATE llmcache_entries SET record = '\\x00010203'::bytea")
                let absent = try await tiers[0].lookup(key)
                #expect(absent == nil)
                #expect(tiers[0].report.damaged == 1)
            }
        }

        @Test func aNewerSchemaIsRefusedByName() async throws {
            try await PostgresCluster.with { cluster in
                let configuration = SharedTierConfiguration(url: cluster.url, poolSize: 1)
                let first = try await SharedTier.connect(configuration, logger: Self.logger)
                await first.close()
                try await Self.sql(cluster, "UPDATE llmcache_meta SET value = '99' WHERE name = 'schema_version'")
                await #expect(throws: SharedSchema.Failure.newerSchema(found: 99, supported: SharedSchema.version)) {
                    _ = try await SharedTier.connect(configuration, logger: Self.logger)
                }
            }
        }

        @Test func theFirstInstanceProposesTheSecretAndTheRestReadIt() async throws {
            try await PostgresCluster.with { cluster in
                let configuration = SharedTierConfiguration(url: cluster.url, poolSize: 1)
                let proposed = [UInt8](repeating: 7, count: 32)
                let first = try await SharedTier.connect(configuration, proposedSecret: proposed, logger: Self.logger)
                let second = try await SharedTier.connect(
                    configuration, proposedSecret: [UInt8](repeating: 9, count: 32), logger: Self.logger)
                #expect(first.tenantSecret == proposed && second.tenantSecret == proposed)
                await first.close()
                await second.close()
            }
        }

        @Test func tablePrefixesKeepDeploymentsApart() async throws {
            try await PostgresCluster.with { cluster in
                let one = try await SharedTier.connect(
                    SharedTierConfiguration(
                        url: cluster.url, poolSize: 1, tablePrefix: "one_", lookupTimeout: .seconds(5)),
                    logger: Self.logger)
                let two = try await SharedTier.connect(
                    SharedTierConfiguration(
                        url: cluster.url, poolSize: 1, tablePrefix: "two_", lookupTimeout: .seconds(5)),
                    logger: Self.logger)
                #expect(one.tenantSecret == TenantScope.portableSecret, "no secret proposed: the portable one")
                await one.store(CacheKey(identifier: 4), Self.entry("x"))
                await one.flush()
                let absent = try await two.lookup(CacheKey(identifier: 4))
                #expect(absent == nil)
                await #expect(throws: (any Error).self) {
                    _ = try await SharedTier.connect(
                        SharedTierConfiguration(url: cluster.url, tablePrefix: "bad; drop table x"), logger: Self.logger
                    )
                }
                await one.close()
                await two.close()
            }
        }

        /// A sweep deletes expired rows and, over max_bytes, the oldest rows; one instance sweeps at
        /// a time.
        @Test func aSweepRemovesExpiredRowsAndTheOldestOverTheBound() async throws {
            try await PostgresCluster.with { cluster in
                let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_700_000_000))
                let size = try PortableRecord().encode(Self.entry("new")).count
                let tier = try await SharedTier.connect(
                    SharedTierConfiguration(
                        url: cluster.url, poolSize: 2, lookupTimeout: .seconds(5), maxBytes: size + size / 2),
                    clock: clock, logger: Self.logger)
                var old = Self.entry("old")
                old.createdAt = Timestamp(secondsSinceEpoch: 1_600_000_000)
                await tier.store(CacheKey(identifier: 10), old)
                await tier.store(CacheKey(identifier: 11), Self.entry("new"))
                await tier.store(
                    CacheKey(identifier: 12), Self.entry("gone", expiresAt: Timestamp(secondsSinceEpoch: 1_700_000_010))
                )
                await tier.flush()
                clock.advance(by: .seconds(60))
                let sweep = try await tier.sweep()
                #expect(sweep == SharedTier.Sweep(ran: true, expired: 1, evicted: 1))
                #expect(try await tier.lookup(CacheKey(identifier: 11)) != nil, "the newest row fits and stays")
                #expect(try await tier.lookup(CacheKey(identifier: 10)) == nil)
                await tier.close()
            }
        }

        /// The database going away fails no request: a lookup throws (the tiered cache takes it as a
        /// miss), stores are kept in the queue, and once the server is back the queue is written and
        /// lookups hit again — without reopening the tier.
        @Test func theDatabaseGoingAwayAndComingBack() async throws {
            try await Self.withTiers(1, lookupTimeout: .seconds(2)) { cluster, tiers in
                let tier = tiers[0]
                try await cluster.kill()
                await #expect(throws: (any Error).self) { _ = try await tier.lookup(CacheKey(identifier: 5)) }
                #expect(tier.report.failing)
                #expect(await tier.store(CacheKey(identifier: 5), Self.entry("queued")))
                try await cluster.start()
                await tier.flush()
                await tier.recoveries.reached(atLeast: 1)
                #expect(tier.report.queueDepth == 0)
                let found = try await tier.lookup(CacheKey(identifier: 5))
                #expect(found.map { String(buffer: $0.body) } == #"{"answer":"queued"}"#)
                #expect(!tier.report.failing)
                #expect(tier.report.errors >= 1)
            }
        }

        /// Runs one statement as the cluster's superuser.
        static func sql(_ cluster: PostgresCluster, _ statement: String) async throws {
            let configuration = PostgresClient.Configuration(
                unixSocketPath: "\(cluster.socketDirectory)/.s.PGSQL.\(cluster.port)", username: cluster.user,
                password: nil, database: cluster.database)
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                group.cancelAll()
            }
        }
    }
}
