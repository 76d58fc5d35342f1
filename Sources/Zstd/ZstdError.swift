import CZstd

/// A failed zstd operation, or input that is not a frame we accept.
public struct ZstdError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// Throws when `code` is a zstd error code; returns it otherwise.
    @discardableResult
    static func check(_ code: Int, _ operation: String) throws -> Int {
        if ZSTD_isError(code) != 0 {
            throw ZstdError("\(operation): \(String(cString: ZSTD_getErrorName(code)))")
        }
        return code
    }
}
