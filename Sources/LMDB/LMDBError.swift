import CLMDB

/// A failed LMDB call: the return code, LMDB's message for it, and the operation that failed.
public struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// LMDB's (or the C library's) text for `code`.
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "\(operation): \(message) (\(code))" }

    /// The map is full: the environment must grow before the write can succeed.
    public var isMapFull: Bool { code == MDB_MAP_FULL }

    /// Throws unless `code` is `MDB_SUCCESS`.
    @inline(__always)
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws {
        if code != MDB_SUCCESS { throw LMDBError(code: code, operation: operation()) }
    }
}
