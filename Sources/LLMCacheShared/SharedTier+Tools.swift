import LLMCacheCore
import LLMCacheStore
import NIOCore
import PostgresNIO

/// What the offline tools (export, import, inspect, replay-check, purge, stats, verify) and the
/// miss explanations need of the shared table. Unlike lookups these run without the lookup
/// timeout or the breaker, and throw what the database answered.
extension SharedTier {
    /// Up to `limit` rows after `cursor` (from the first key when nil), in key order, as a scan of
    /// the disk tier returns records; `namespace` narrows them in the query. The cursor of the next
    /// page is nil at the end.
    public func page(after cursor: PageCursor?, namespace: String? = nil, limit: Int = 256) async throws
        -> (records: [DiskTier.ScannedRecord], next: PageCursor?)
    {
        let after = ByteBuffer(bytes: cursor?.lastKey ?? [])
        let query: PostgresQuery =
            if let namespace {
                """
                SELECT key, record FROM \(unescaped: schema.entries) WHERE key > \(after) AND namespace = \(namespace)
                ORDER BY key LIMIT \(limit)
                """
            } else {
                "SELECT key, record FROM \(unescaped: schema.entries) WHERE key > \(after) ORDER BY key LIMIT \(limit)"
            }
        var scanned: [DiskTier.ScannedRecord] = []
        var rows = 0
        var last: [UInt8] = []
        for try await (keyBytes, record) in try await client.query(query, logger: logger).decode(
            (ByteBuffer, ByteBuffer).self)
        {
            rows += 1
            last = Array(keyBytes.readableBytesView)
            // A key that is not a digest cannot be named: skipped (llmcache never writes one).
            guard let key = CacheKey(digest: last) else { continue }
            scanned.append(records.scanned(key, Array(record.readableBytesView)))
        }
        return (scanned, rows < limit ? nil : PageCursor(lastKey: last))
    }

    /// Where a page of ``page(after:namespace:limit:)`` ends.
    public struct PageCursor: Sendable, Equatable {
        let lastKey: [UInt8]
    }

    /// The live entry under `key` (nil when absent or expired); a damaged row throws its
    /// ``RecordError``.
    public func entry(_ key: CacheKey) async throws -> CacheEntry? {
        let keyBytes = ByteBuffer(bytes: key.bytes)
        let now = clock.now().nanosecondsSinceEpoch
        let rows = try await client.query(
            "SELECT record FROM \(unescaped: schema.entries) WHERE key = \(keyBytes) AND expires_at > \(now)",
            logger: logger)
        for try await record in rows.decode(ByteBuffer.self) {
            return try record.withUnsafeReadableBytes { try records.decode($0) }
        }
        return nil
    }

    /// Writes `entries` now, in multi-row upserts of the configured batch size (import; the
    /// proxy's stores go through the write-behind queue instead).
    public func write(now entries: [(CacheKey, CacheEntry)]) async throws {
        let rows = try entries.map { try row($0.0, $0.1) }
        var start = 0
        while start < rows.count {
            let batch = Array(rows[start..<min(rows.count, start + configuration.batchSize)])
            try await client.query(Self.upsert(schema, batch), logger: logger)
            start += batch.count
        }
    }

    /// Removes the rows of `keys` and tells the other instances; how many were stored.
    public func remove(_ keys: [CacheKey]) async throws -> Int {
        var removed = 0
        for key in keys {
            let keyBytes = ByteBuffer(bytes: key.bytes)
            removed += try await count("DELETE FROM \(unescaped: schema.entries) WHERE key = \(keyBytes)")
            await announce(.key(key))
        }
        return removed
    }

    // MARK: - Miss explanations

    /// Why the request with `recipe` (whose body names `model`) found nothing here: the nearest
    /// stored request of the same route, model, namespace and tenant scope among the newest
    /// `maximumCandidates` rows of the namespace (the table has no request index: the rows'
    /// headers are read, only the candidates decompressed). Requests under another tenant scope
    /// are counted, never compared. Never throws: a database that does not answer gives an
    /// explanation with nothing compared, as does one slower than `limit`.
    public func explainMiss(
        _ recipe: CacheKeyRecipe, model: String, maximumCandidates: Int = 5_000, within limit: Duration? = nil
    ) async -> MissExplanation {
        let nothing = MissExplanation(
            key: recipe.key, namespace: recipe.namespace, method: recipe.method, path: recipe.path, model: model)
        guard let limit else { return await explain(recipe, model: model, maximumCandidates: maximumCandidates) }
        return
            (try? await withDeadline(limit, "explaining a miss from the shared tier") {
                await self.explain(recipe, model: model, maximumCandidates: maximumCandidates)
            }) ?? nothing
    }

    private func explain(_ recipe: CacheKeyRecipe, model: String, maximumCandidates: Int) async -> MissExplanation {
        var explanation = MissExplanation(
            key: recipe.key, namespace: recipe.namespace, method: recipe.method, path: recipe.path, model: model)
        let wanted = recipe.storedRequest(model: model)
        var candidates: [(CacheKey, CacheEntry)] = []
        var otherModels = Set<String>()
        do {
            let rows = try await client.query(
                """
                SELECT key, record FROM \(unescaped: schema.entries) WHERE namespace = \(recipe.namespace)
                ORDER BY created_at DESC LIMIT \(maximumCandidates)
                """, logger: logger)
            for try await (keyBytes, record) in rows.decode((ByteBuffer, ByteBuffer).self) {
                guard let key = CacheKey(digest: Array(keyBytes.readableBytesView)),
                    let stored = record.withUnsafeReadableBytes({ records.header(of: $0) })?.request,
                    stored.upstream == wanted.upstream, stored.method == wanted.method, stored.path == wanted.path
                else { continue }
                if stored.model != wanted.model {
                    if !stored.model.isEmpty { otherModels.insert(stored.model) }
                } else if stored.tenant != wanted.tenant {
                    explanation.otherTenants += 1
                } else if let entry = try? record.withUnsafeReadableBytes({ try records.decode($0) }) {
                    candidates.append((key, entry))
                }
            }
        } catch {
            logger.warning(
                "cannot read the shared tier to explain a miss",
                metadata: ["error": "\(SharedTierError.describe(error))"])
        }
        if candidates.isEmpty { explanation.otherModels = otherModels.sorted() }
        explanation.compared = candidates.count
        explanation.nearest = MissExplanation.nearest(to: recipe, among: candidates, now: clock.now())
        return explanation
    }

    // MARK: - What the table holds

    /// The table at rest, for `llmcache stats`.
    public struct TableSummary: Sendable, Equatable {
        public var entries: Int
        /// Expired rows the sweep has not removed yet.
        public var expired: Int
        /// The records' bytes (what `max_bytes` bounds).
        public var recordBytes: Int
        /// The table with its indexes and TOAST, as PostgreSQL counts it.
        public var tableBytes: Int
        /// Entries per namespace, the largest first.
        public var namespaces: [NamespaceCount]
        public var schemaVersion: Int

        public struct NamespaceCount: Sendable, Equatable {
            public var name: String
            public var entries: Int
        }
    }

    public func summary() async throws -> TableSummary {
        let now = clock.now().nanosecondsSinceEpoch
        var summary = TableSummary(
            entries: 0, expired: 0, recordBytes: 0, tableBytes: 0, namespaces: [], schemaVersion: SharedSchema.version)
        let totals = try await client.query(
            """
            SELECT count(*)::int8, count(*) FILTER (WHERE expires_at <= \(now))::int8, coalesce(sum(size), 0)::int8,
                   pg_total_relation_size(\(schema.entries)::regclass)::int8
            FROM \(unescaped: schema.entries)
            """, logger: logger)
        for try await (entries, expired, bytes, table) in totals.decode((Int64, Int64, Int64, Int64).self) {
            summary.entries = Int(entries)
            summary.expired = Int(expired)
            summary.recordBytes = Int(bytes)
            summary.tableBytes = Int(table)
        }
        let namespaces = try await client.query(
            """
            SELECT namespace, count(*)::int8 FROM \(unescaped: schema.entries) GROUP BY namespace
            ORDER BY count(*) DESC, namespace LIMIT 50
            """, logger: logger)
        for try await (name, count) in namespaces.decode((String, Int64).self) {
            summary.namespaces.append(.init(name: name, entries: Int(count)))
        }
        return summary
    }
}

extension SharedTier {
    /// A setting of the tier's database sessions (`current_setting`), for tests and diagnostics.
    package func sessionSetting(_ name: String) async throws -> String? {
        let rows = try await client.query("SELECT current_setting(\(name))", logger: logger)
        for try await value in rows.decode(String.self) { return value }
        return nil
    }
}
