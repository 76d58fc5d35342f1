import CLMDB

/// An open transaction, valid only inside the closure it was handed to. Never `await` while
/// holding one, and copy values out before the closure returns.
public struct LMDBTransaction {
    let handle: OpaquePointer

    /// A copy of the value stored under `key`, or `nil` (`MDB_NOTFOUND`).
    public func get(_ database: LMDBDatabase, key: [UInt8]) throws -> [UInt8]? {
        try withValue(database, key: key) { Array($0) }
    }

    /// Calls `body` with the value stored under `key` — memory owned by LMDB, valid only during
    /// the call, possibly unaligned. Returns `nil` when the key is absent.
    public func withValue<R>(
        _ database: LMDBDatabase, key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        try key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(
                mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var value = MDB_val()
            let code = mdb_get(handle, database.handle, &keyValue, &value)
            if code == MDB_NOTFOUND { return nil }
            try LMDBError.check(code, "mdb_get")
            return try body(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
        }
    }

    /// Stores `value` under `key`, replacing any old value.
    public func put(_ database: LMDBDatabase, key: [UInt8], value: [UInt8]) throws {
        try value.withUnsafeBytes { valueBytes in
            try put(database, key: key, value: valueBytes)
        }
    }

    /// Stores the bytes of `value` under `key`, replacing any old value.
    public func put(_ database: LMDBDatabase, key: [UInt8], value: UnsafeRawBufferPointer) throws {
        try key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(
                mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var data = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
            try LMDBError.check(mdb_put(handle, database.handle, &keyValue, &data, 0), "mdb_put")
        }
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    public func delete(_ database: LMDBDatabase, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(
                mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            let code = mdb_del(handle, database.handle, &keyValue, nil)
            if code == MDB_NOTFOUND { return false }
            try LMDBError.check(code, "mdb_del")
            return true
        }
    }

    /// Removes every record of `database` (the database stays).
    public func removeAll(_ database: LMDBDatabase) throws {
        try LMDBError.check(mdb_drop(handle, database.handle, 0), "mdb_drop")
    }

    /// The number of records in `database`.
    public func count(_ database: LMDBDatabase) throws -> Int {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(handle, database.handle, &stat), "mdb_stat")
        return stat.ms_entries
    }

    /// Visits records in key order, starting at the first key ≥ `start` (or the first record),
    /// until `body` returns `false`. Key and value point into LMDB's memory: valid only during
    /// the call.
    public func forEach(
        _ database: LMDBDatabase, from start: [UInt8]? = nil,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(handle, database.handle, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        var startBytes = start ?? []
        var code: Int32 = startBytes.withUnsafeMutableBytes { bytes in
            if start != nil {
                key = MDB_val(mv_size: bytes.count, mv_data: bytes.baseAddress)
                return mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
            }
            return mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        }
        while code == MDB_SUCCESS {
            let keep = try body(
                UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
            guard keep else { return }
            code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
        if code != MDB_NOTFOUND { try LMDBError.check(code, "mdb_cursor_get") }
    }
}
