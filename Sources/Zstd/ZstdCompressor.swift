import CZstd

/// A reusable compression context. Not thread-safe: one per thread, or borrow one from a
/// ``ZstdContextPool``.
public final class ZstdCompressor {
    private let context: OpaquePointer
    public let level: Int32

    public init(level: Int32 = 3) throws {
        guard let context = ZSTD_createCCtx() else { throw ZstdError("ZSTD_createCCtx failed") }
        self.context = context
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One zstd frame holding `input`, with its content size recorded in the frame header.
    public func compress(_ input: UnsafeRawBufferPointer, dictionary: ZstdDictionary? = nil) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = try output.withUnsafeMutableBytes { outputBytes in
            if let dictionary {
                return try ZstdError.check(
                    ZSTD_compress_usingCDict(
                        context, outputBytes.baseAddress, outputBytes.count, input.baseAddress, input.count,
                        dictionary.compression),
                    "ZSTD_compress_usingCDict")
            }
            return try ZstdError.check(
                ZSTD_compressCCtx(
                    context, outputBytes.baseAddress, outputBytes.count, input.baseAddress, input.count, level),
                "ZSTD_compressCCtx")
        }
        output.removeSubrange(written...)
        return output
    }

    public func compress(_ input: [UInt8], dictionary: ZstdDictionary? = nil) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0, dictionary: dictionary) }
    }
}

/// A reusable decompression context that never writes more than it was told to expect. Not
/// thread-safe: one per thread, or borrow one from a ``ZstdContextPool``.
public final class ZstdDecompressor {
    private let context: OpaquePointer

    public init() throws {
        guard let context = ZSTD_createDCtx() else { throw ZstdError("ZSTD_createDCtx failed") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses one frame whose content size must be recorded in its header and equal
    /// `expectedSize` (the raw length our record header carries), itself at most `maximumSize`.
    /// Frames of unknown or wrong size, truncated or corrupt input, and the wrong dictionary are
    /// errors, never a crash and never an unbounded allocation.
    public func decompress(
        _ frame: UnsafeRawBufferPointer, expectedSize: Int, maximumSize: Int, dictionary: ZstdDictionary? = nil
    ) throws -> [UInt8] {
        guard expectedSize >= 0, expectedSize <= maximumSize else {
            throw ZstdError("expected size \(expectedSize) exceeds the limit of \(maximumSize) bytes")
        }
        let contentSize = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        if contentSize == ZSTD_CONTENTSIZE_UNKNOWN { throw ZstdError("frame does not record its content size") }
        if contentSize == ZSTD_CONTENTSIZE_ERROR { throw ZstdError("not a zstd frame") }
        guard contentSize == UInt64(expectedSize) else {
            throw ZstdError("frame holds \(contentSize) bytes, the record says \(expectedSize)")
        }
        var output = [UInt8](repeating: 0, count: expectedSize)
        let written = try output.withUnsafeMutableBytes { outputBytes in
            if let dictionary {
                return try ZstdError.check(
                    ZSTD_decompress_usingDDict(
                        context, outputBytes.baseAddress, outputBytes.count, frame.baseAddress, frame.count,
                        dictionary.decompression),
                    "ZSTD_decompress_usingDDict")
            }
            return try ZstdError.check(
                ZSTD_decompressDCtx(
                    context, outputBytes.baseAddress, outputBytes.count, frame.baseAddress, frame.count),
                "ZSTD_decompressDCtx")
        }
        guard written == expectedSize else {
            throw ZstdError("frame decompressed to \(written) of \(expectedSize) bytes")
        }
        return output
    }

    public func decompress(
        _ frame: [UInt8], expectedSize: Int, maximumSize: Int, dictionary: ZstdDictionary? = nil
    ) throws -> [UInt8] {
        try frame.withUnsafeBytes {
            try decompress($0, expectedSize: expectedSize, maximumSize: maximumSize, dictionary: dictionary)
        }
    }

    /// The dictionary id a frame was compressed with (0: none).
    public static func dictionaryID(of frame: UnsafeRawBufferPointer) -> UInt32 {
        ZSTD_getDictID_fromFrame(frame.baseAddress, frame.count)
    }
}
