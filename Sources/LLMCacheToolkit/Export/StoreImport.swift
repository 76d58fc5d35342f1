import LLMCacheCore
import LLMCacheStore

/// `llmcache import`: entries of an export file into a store, re-keyed when their namespace or
/// tenant scope is changed on the way in.
public enum StoreImport {
    public enum Conflict: String, Sendable, CaseIterable {
        /// Leave an entry already stored under the same key.
        case keep
        /// Replace it only with a newer one.
        case newer
        /// Always replace it.
        case replace
    }

    /// What becomes of the tenant scopes of imported entries.
    public enum Tenant: Sendable, Equatable {
        /// As exported: right when the file comes from this store.
        case keep
        /// No scope: readable by a server run with `--share-across-credentials`.
        case shared
        /// Scoped to this credential (the header value exactly as clients send it, e.g.
        /// `Bearer sk-…` or an `x-api-key` value) under this store's secret.
        case credential(String)
    }

    public struct Options: Sendable {
        public var conflict: Conflict
        public var namespace: String?
        public var tenant: Tenant
        public var maximumLineBytes: Int

        public init(
            conflict: Conflict = .keep, namespace: String? = nil, tenant: Tenant = .keep,
            maximumLineBytes: Int = 160 << 20
        ) {
            self.conflict = conflict
            self.namespace = namespace
            self.tenant = tenant
            self.maximumLineBytes = maximumLineBytes
        }
    }

    public struct Summary: Sendable {
        public var imported = 0
        public var replaced = 0
        public var keptExisting = 0
        public var expired = 0
        /// Entries scoped to credentials of another store, kept as they were (no credential can
        /// read them here: import with a tenant option).
        public var foreignScoped = 0
        /// Lines that were not imported, with the reason.
        public var bad: [(line: Int, reason: String)] = []
        /// A problem with the file as a whole (truncated, no end line, count mismatch).
        public var fileError: String?
    }

    public static func run(_ path: String, into store: DiskTier, options: Options, now: Timestamp) throws -> Summary {
        let secret = try store.tenantSecret()
        let storeID = TenantScope.storeID(secret: secret)
        var summary = Summary()
        let reader = ExportFileReader(path: path, maximumLineBytes: options.maximumLineBytes)
        let outcome = try reader.forEachRecord { number, source, record in
            do {
                try importRecord(
                    try record.get(), into: store, options: options, foreign: source != storeID, secret: secret,
                    now: now,
                    summary: &summary)
            } catch let error as ToolkitError {
                summary.bad.append((number, error.message))
            }
        }
        store.commitPending()
        summary.fileError = outcome.fileError
        return summary
    }

    private static func importRecord(
        _ record: ExportRecord, into store: DiskTier, options: Options, foreign: Bool, secret: [UInt8], now: Timestamp,
        summary: inout Summary
    ) throws {
        var entry = record.entry
        var key = record.key
        let rescoped = options.namespace != nil || options.tenant != .keep
        if let request = entry.request, entry.recipeVersion == CacheKeyRecipe.version {
            guard
                request.recipe(
                    namespace: entry.namespace, canonicalBody: Array(entry.canonicalRequest.readableBytesView)
                ).key == key
            else { throw ToolkitError("key \(key.hex) does not match its request") }
        } else if rescoped {
            throw ToolkitError(
                "entry \(key.hex) does not record its request (or has another key recipe): it cannot be re-keyed")
        }
        if let namespace = options.namespace { entry.namespace = namespace }
        if var request = entry.request {
            switch options.tenant {
            case .keep:
                if foreign && !request.tenant.isEmpty { summary.foreignScoped += 1 }
            case .shared:
                request.tenant = []
            case .credential(let credential):
                request.tenant = TenantScope.scope(credential: credential, secret: secret)
            }
            entry.request = request
            if rescoped {
                key =
                    request.recipe(
                        namespace: entry.namespace, canonicalBody: Array(entry.canonicalRequest.readableBytesView)
                    ).key
            }
        }
        if entry.isExpired(at: now) {
            summary.expired += 1
            return
        }
        if let existing = store.get(key) {
            switch options.conflict {
            case .keep:
                summary.keptExisting += 1
                return
            case .newer where existing.createdAt >= entry.createdAt:
                summary.keptExisting += 1
                return
            default:
                summary.replaced += 1
            }
        }
        if !store.put(key, entry) {
            store.commitPending()
            guard store.put(key, entry) else { throw ToolkitError("entry \(key.hex) is too large for this store") }
        }
        summary.imported += 1
        if summary.imported % 512 == 0 { store.commitPending() }
    }
}
