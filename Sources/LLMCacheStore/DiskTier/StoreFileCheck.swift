#if canImport(Glibc)
    import Glibc
#endif

/// Checks a store's `data.mdb` against its own meta pages before LMDB maps it. LMDB's pages carry
/// no checksums and it trusts the file: a file shorter than the pages its meta says are in use is
/// a SIGBUS on the first read of a missing page, a file that is not LMDB at all a crash in its
/// assertions. This reads the two meta pages with plain `pread` (nothing is mapped) and refuses a
/// file that cannot be a whole store. It does not see damage *inside* pages; `llmcache serve`
/// walks every record in a child process for that (`store.check_on_start`).
public enum StoreFileCheck {
    /// LMDB's meta page magic (`MDB_MAGIC`) and data format version (`MDB_DATA_VERSION`).
    static let magic: UInt32 = 0xBEEF_C0DE
    static let version: UInt32 = 1

    /// Nothing when `directory/data.mdb` is absent (a new store) or whole.
    /// - Throws: ``RecordError`` naming what is wrong.
    public static func check(directory: String) throws(RecordError) {
        let path = directory + "/data.mdb"
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return }
            throw RecordError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw RecordError("cannot stat \(path)") }
        let size = Int(status.st_size)
        if size == 0 { return }  // created, never written: LMDB initializes it
        let first = try meta(descriptor, at: 0, path: path)
        guard let first else {
            throw RecordError("\(path) is not an LMDB store (no meta page: damaged or another file)")
        }
        let second = try meta(descriptor, at: first.pageSize, path: path)
        let newest = [first, second].compactMap { $0 }.max { $0.transaction < $1.transaction }!
        let needed = (newest.lastPage + 1) * first.pageSize
        guard size >= needed else {
            throw RecordError(
                "\(path) is damaged: \(size) bytes, but its meta page says \(needed) are in use (truncated?)")
        }
    }

    struct Meta {
        var pageSize: Int
        var lastPage: Int
        var transaction: UInt64
    }

    /// The meta page at `offset`, or nil when it does not carry LMDB's magic and version.
    /// Layout (64-bit): page header 16 bytes; magic u32, version u32, address, map size;
    /// the free and main databases (48 bytes each, the page size in the first's `md_pad`);
    /// last page number; transaction id.
    private static func meta(_ descriptor: Int32, at offset: Int, path: String) throws(RecordError) -> Meta? {
        var bytes = [UInt8](repeating: 0, count: 152)
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 152, off_t(offset)) }
        guard read == 152 else { return nil }
        func u32(_ at: Int) -> UInt32 {
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
        }
        func u64(_ at: Int) -> UInt64 {
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        }
        guard u32(16) == magic, u32(20) == version else { return nil }
        let pageSize = Int(u32(40))
        guard pageSize >= 512, pageSize <= 65_536, pageSize & (pageSize - 1) == 0 else { return nil }
        let lastPage = u64(136)
        guard lastPage < UInt64(Int.max) / UInt64(pageSize) else { return nil }
        return Meta(pageSize: pageSize, lastPage: Int(lastPage), transaction: u64(144))
    }
}
