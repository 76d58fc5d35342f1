import CLMDB

#if canImport(Glibc)
    import Glibc
#endif

/// An open LMDB environment (one data file plus its lock file).
///
/// Thread-safe. Transactions run in non-async closures: ``read(_:)`` may run on many threads at
/// once; ``write(_:)`` is serialized by LMDB. When a write hits `MDB_MAP_FULL` the map is doubled
/// (with no transaction of this process open — a gate holds new ones back meanwhile) and the
/// write closure runs again, so it must be repeatable.
public final class LMDBEnvironment: @unchecked Sendable {
    // Unchecked: `handle` is used only through LMDB calls that are thread-safe for an environment
    // opened with MDB_NOTLS; the map size changes only under `gate`'s exclusive side.
    let handle: OpaquePointer
    public let path: String
    public let options: LMDBEnvironmentOptions
    private let gate: ResizeGate

    /// Opens (creating if needed) the environment at `path` — a directory unless
    /// `.noSubdirectory` is set, in which case the directory must exist. Clears stale reader slots
    /// left by dead processes.
    public init(path: String, options: LMDBEnvironmentOptions = LMDBEnvironmentOptions()) throws {
        var handle: OpaquePointer?
        try LMDBError.check(mdb_env_create(&handle), "mdb_env_create")
        guard let handle else { throw LMDBError(code: ENOMEM, operation: "mdb_env_create") }
        do {
            try LMDBError.check(mdb_env_set_mapsize(handle, options.mapSize), "mdb_env_set_mapsize")
            try LMDBError.check(mdb_env_set_maxreaders(handle, options.maxReaders), "mdb_env_set_maxreaders")
            try LMDBError.check(mdb_env_set_maxdbs(handle, options.maxDatabases), "mdb_env_set_maxdbs")
            let flags = options.flags.rawValue | UInt32(MDB_NOTLS)
            try LMDBError.check(
                mdb_env_open(handle, path, flags, mdb_mode_t(options.fileMode)), "mdb_env_open(\(path))")
            var dead: Int32 = 0
            try LMDBError.check(mdb_reader_check(handle, &dead), "mdb_reader_check")
        } catch {
            mdb_env_close(handle)
            throw error
        }
        self.handle = handle
        self.path = path
        self.options = options
        self.gate = ResizeGate()
    }

    deinit {
        mdb_env_close(handle)
    }

    /// Opens (with `create`, creating) the named database; `nil` is the unnamed main database.
    public func openDatabase(_ name: String?, create: Bool = true) throws -> LMDBDatabase {
        try write { transaction in
            var dbi: MDB_dbi = 0
            let flags = create ? UInt32(MDB_CREATE) : 0
            try LMDBError.check(mdb_dbi_open(transaction.handle, name, flags, &dbi), "mdb_dbi_open(\(name ?? "main"))")
            return LMDBDatabase(handle: dbi)
        }
    }

    /// Runs `body` in a read-only transaction. Values seen inside are valid only inside: copy
    /// them out before returning.
    public func read<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        while true {
            do {
                return try gate.shared {
                    let transaction = try begin(flags: UInt32(MDB_RDONLY))
                    defer { mdb_txn_abort(transaction.handle) }
                    return try body(transaction)
                }
            } catch let error as LMDBError where error.code == MDB_MAP_RESIZED {
                try adoptResizedMap()
            }
        }
    }

    /// Runs `body` in a write transaction and commits it; aborts if `body` throws. On
    /// `MDB_MAP_FULL` the map grows and `body` runs again from the start.
    public func write<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        while true {
            do {
                return try gate.shared {
                    let transaction = try begin(flags: 0)
                    var committed = false
                    defer { if !committed { mdb_txn_abort(transaction.handle) } }
                    let result = try body(transaction)
                    // Marked before the call: mdb_txn_commit frees the transaction even when it
                    // fails, so it must never be aborted afterwards.
                    committed = true
                    try LMDBError.check(mdb_txn_commit(transaction.handle), "mdb_txn_commit")
                    return result
                }
            } catch let error as LMDBError where error.isMapFull {
                try grow()
            } catch let error as LMDBError where error.code == MDB_MAP_RESIZED {
                try adoptResizedMap()
            }
        }
    }

    /// The current map size in bytes.
    public var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_mapsize
    }

    /// Bytes of the map in use (pages used × page size).
    public var usedBytes: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        var stat = MDB_stat()
        mdb_env_stat(handle, &stat)
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }

    /// Flushes buffers to disk (needed only with `.noSync` / `.noMetaSync`).
    public func sync(force: Bool = true) throws {
        try LMDBError.check(mdb_env_sync(handle, force ? 1 : 0), "mdb_env_sync")
    }

    /// Writes a copy of the environment to the existing, empty directory `path`; with
    /// `compact`, free pages are omitted and records renumbered (`MDB_CP_COMPACT`).
    public func copy(to path: String, compact: Bool) throws {
        let flags = compact ? UInt32(MDB_CP_COMPACT) : 0
        try LMDBError.check(mdb_env_copy2(handle, path, flags), "mdb_env_copy2(\(path))")
    }

    /// Releases reader slots of dead processes; returns how many.
    @discardableResult
    public func clearStaleReaders() throws -> Int {
        var dead: Int32 = 0
        try LMDBError.check(mdb_reader_check(handle, &dead), "mdb_reader_check")
        return Int(dead)
    }

    private func begin(flags: UInt32) throws -> LMDBTransaction {
        var transaction: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(handle, nil, flags, &transaction), "mdb_txn_begin")
        return LMDBTransaction(handle: transaction!)
    }

    /// Another process grew the map (`MDB_MAP_RESIZED`): adopt its size while no transaction of
    /// this process is open.
    private func adoptResizedMap() throws {
        try gate.exclusive {
            try LMDBError.check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize(0)")
        }
    }

    /// Doubles the map (up to `maximumMapSize`) while no transaction of this process is open.
    private func grow() throws {
        try gate.exclusive {
            let current = mapSize
            guard current < options.maximumMapSize else {
                throw LMDBError(code: MDB_MAP_FULL, operation: "grow map beyond \(options.maximumMapSize) bytes")
            }
            let next = min(current * 2, options.maximumMapSize)
            try LMDBError.check(mdb_env_set_mapsize(handle, next), "mdb_env_set_mapsize(\(next))")
        }
    }
}

/// A named database inside an environment. Valid for the environment's lifetime.
public struct LMDBDatabase: Sendable, Hashable {
    let handle: MDB_dbi
}

/// Readers share, a map resize excludes them all (writer-preferring, so resizes do not starve).
private final class ResizeGate: @unchecked Sendable {
    // Unchecked: a pthread rwlock is thread-safe; it lives at a stable heap address.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func shared<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func exclusive<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
