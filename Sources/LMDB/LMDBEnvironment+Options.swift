import CLMDB

/// Flags an environment is opened with. `MDB_NOTLS` is always added: transactions are not tied
/// to threads, which Swift tasks hop between.
public struct LMDBEnvironmentFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The path is the data file itself, not a directory (`MDB_NOSUBDIR`).
    public static let noSubdirectory = Self(rawValue: UInt32(MDB_NOSUBDIR))
    /// Open read-only (`MDB_RDONLY`).
    public static let readOnly = Self(rawValue: UInt32(MDB_RDONLY))
    /// Do not fsync on commit (`MDB_NOSYNC`): an OS crash may lose recent commits.
    public static let noSync = Self(rawValue: UInt32(MDB_NOSYNC))
    /// Fsync data but not the meta page on commit (`MDB_NOMETASYNC`): an OS crash may lose the
    /// last commit.
    public static let noMetaSync = Self(rawValue: UInt32(MDB_NOMETASYNC))
    /// Write through a writable memory map (`MDB_WRITEMAP`).
    public static let writeMap = Self(rawValue: UInt32(MDB_WRITEMAP))
    /// With `writeMap`, flush asynchronously (`MDB_MAPASYNC`).
    public static let mapAsync = Self(rawValue: UInt32(MDB_MAPASYNC))
    /// No read-ahead (`MDB_NORDAHEAD`): better for random reads of a map larger than RAM.
    public static let noReadahead = Self(rawValue: UInt32(MDB_NORDAHEAD))
    /// Do not zero malloc'd pages before writing (`MDB_NOMEMINIT`).
    public static let noMemoryInit = Self(rawValue: UInt32(MDB_NOMEMINIT))
    /// No locking at all (`MDB_NOLOCK`): the caller guarantees a single process.
    public static let noLock = Self(rawValue: UInt32(MDB_NOLOCK))
}

/// How an environment is opened.
public struct LMDBEnvironmentOptions: Sendable, Equatable {
    /// Initial map size in bytes (rounded by LMDB to pages). The file grows sparsely.
    public var mapSize: Int
    /// The map doubles on `MDB_MAP_FULL` up to this size; then writes fail with map-full.
    public var maximumMapSize: Int
    public var maxReaders: UInt32
    public var maxDatabases: UInt32
    public var flags: LMDBEnvironmentFlags
    /// Permissions of created files.
    public var fileMode: UInt32

    public init(
        mapSize: Int = 64 << 20,
        maximumMapSize: Int = 1 << 40,
        maxReaders: UInt32 = 256,
        maxDatabases: UInt32 = 16,
        flags: LMDBEnvironmentFlags = [],
        fileMode: UInt32 = 0o644
    ) {
        self.mapSize = mapSize
        self.maximumMapSize = maximumMapSize
        self.maxReaders = maxReaders
        self.maxDatabases = maxDatabases
        self.flags = flags
        self.fileMode = fileMode
    }
}
