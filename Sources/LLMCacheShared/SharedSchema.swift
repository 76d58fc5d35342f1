import LLMCacheCore
import Logging
import PostgresNIO

/// The shared tier's tables and their migrations. The first instance creates them (under an
/// advisory lock, so instances starting together do not race); every instance reads the schema
/// version and the tenant secret from `{prefix}meta`, so keys are the same on every instance.
/// An instance refuses a schema newer than it knows, naming both versions.
///
/// - `{prefix}meta (name text primary key, value text)`: `schema_version`, `tenant_secret` (hex).
/// - `{prefix}entries (key bytea primary key, namespace text, created_at int8, expires_at int8,
///   size int4, record bytea)`: one record per key, in the disk tier's format; times in
///   nanoseconds since 1970 (`expires_at` is `int8` max for entries that never expire).
/// - `{prefix}leases (key bytea primary key, owner text, expires_at int8)`, unlogged: which
///   instance fetches a key now, until when (milliseconds since 1970 on the database's clock,
///   so instances' clocks need not agree). The end of a fetch is announced on the channel
///   `{prefix}ready` with the key's hex.
public struct SharedSchema: Sendable {
    /// The schema this build writes and reads.
    public static let version = 1

    public let prefix: String
    public let unlogged: Bool

    public init(prefix: String, unlogged: Bool) {
        precondition(SharedTierConfiguration.isValidPrefix(prefix), "validated by the configuration")
        self.prefix = prefix
        self.unlogged = unlogged
    }

    var meta: String { prefix + "meta" }
    var entries: String { prefix + "entries" }
    var leases: String { prefix + "leases" }
    /// The LISTEN/NOTIFY channel on which a fetch's end is announced (payload: the key's hex).
    var channel: String { prefix + "ready" }

    /// What the database holds after ``migrate(_:logger:)``.
    public struct State: Sendable, Equatable {
        public var version: Int
        public var tenantSecret: [UInt8]
        /// Whether this call created the tables.
        public var created: Bool
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case newerSchema(found: Int, supported: Int)
        case damaged(String)
        /// No tables under this prefix, and the caller (a read-only tool) would not create them.
        case missing(prefix: String)

        public var description: String {
            switch self {
            case .newerSchema(let found, let supported):
                "the shared tier's database has schema version \(found); this llmcache knows up to \(supported) "
                    + "(upgrade llmcache, or use another shared.postgres.table_prefix)"
            case .damaged(let detail): "the shared tier's meta table is damaged: \(detail)"
            case .missing(let prefix):
                "the database holds no llmcache shared tier with table prefix '\(prefix)' (no \(prefix)meta table)"
            }
        }
    }

    /// Creates or checks the tables; the version and tenant secret in force.
    /// `proposedSecret` is the secret written when this call creates the tables (the portable
    /// one if nil).
    /// Unless `creating`, tables that do not exist yet are not created: ``Failure/missing(prefix:)``.
    public func migrate(
        _ client: PostgresClient, proposedSecret: [UInt8]? = nil, creating: Bool = true, logger: Logger
    ) async throws -> State {
        do {
            return try await transaction(client, proposedSecret: proposedSecret, creating: creating, logger: logger)
        } catch let error as PostgresTransactionError {
            // Our own refusal, not the transaction's machinery.
            if let reason = error.closureError as? Failure { throw reason }
            throw error
        }
    }

    private func transaction(_ client: PostgresClient, proposedSecret: [UInt8]?, creating: Bool, logger: Logger)
        async throws -> State
    {
        try await client.withTransaction(logger: logger) { connection in
            // The tables and the secret are durable before anyone uses them (the tier's sessions
            // commit asynchronously otherwise: a crash right after creating them would forget
            // them, and the secret every instance keys with).
            try await connection.query("SET LOCAL synchronous_commit = on", logger: logger)
            // One instance at a time, per prefix.
            let lock = Int64(truncatingIfNeeded: Self.lockKey(prefix))
            try await connection.query("SELECT pg_advisory_xact_lock(\(lock))", logger: logger)
            if !creating {
                let found = try await connection.query("SELECT to_regclass(\(meta))::text", logger: logger)
                var exists = false
                for try await name in found.decode(String?.self) { exists = name != nil }
                guard exists else { throw Failure.missing(prefix: prefix) }
            }
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS \(unescaped: meta) (name text PRIMARY KEY, value text NOT NULL)",
                logger: logger)
            // Who fetches what now (rows live for seconds: never worth a WAL record).
            try await connection.query(
                """
                CREATE UNLOGGED TABLE IF NOT EXISTS \(unescaped: leases) (
                    key bytea PRIMARY KEY, owner text NOT NULL, expires_at int8 NOT NULL)
                """, logger: logger)
            let rows = try await connection.query("SELECT name, value FROM \(unescaped: meta)", logger: logger)
            var values: [String: String] = [:]
            for try await (name, value) in rows.decode((String, String).self) { values[name] = value }
            if let text = values["schema_version"] {
                guard let found = Int(text) else { throw Failure.damaged("schema_version is \(text)") }
                guard found <= Self.version else { throw Failure.newerSchema(found: found, supported: Self.version) }
                guard let hex = values["tenant_secret"], let secret = Self.bytes(hex: hex), secret.count == 32 else {
                    throw Failure.damaged("tenant_secret is missing or not 32 bytes of hex")
                }
                return State(version: found, tenantSecret: secret, created: false)
            }
            try await connection.query(
                """
                CREATE \(unescaped: unlogged ? "UNLOGGED " : "")TABLE IF NOT EXISTS \(unescaped: entries) (
                    key bytea PRIMARY KEY, namespace text NOT NULL, created_at int8 NOT NULL,
                    expires_at int8 NOT NULL, size int4 NOT NULL, record bytea NOT NULL)
                """, logger: logger)
            try await connection.query(
                "CREATE INDEX IF NOT EXISTS \(unescaped: entries)_namespace ON \(unescaped: entries) (namespace)",
                logger: logger)
            try await connection.query(
                "CREATE INDEX IF NOT EXISTS \(unescaped: entries)_expires ON \(unescaped: entries) (expires_at)",
                logger: logger)
            let secret = proposedSecret.flatMap { $0.count == 32 ? $0 : nil } ?? TenantScope.portableSecret
            let version = String(Self.version)
            let hex = Self.hex(secret)
            try await connection.query(
                "INSERT INTO \(unescaped: meta) (name, value) VALUES ('schema_version', \(version)), ('tenant_secret', \(hex))",
                logger: logger)
            return State(version: Self.version, tenantSecret: secret, created: true)
        }
    }

    /// A stable 64-bit number for the advisory lock of `prefix` (FNV-1a).
    static func lockKey(_ prefix: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("llmcache-schema:" + prefix).utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let characters = Array(hex.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let value = UInt8(String(decoding: characters[index...index + 1], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(value)
            index += 2
        }
        return bytes
    }
}
