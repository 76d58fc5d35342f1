import CZstd

/// Streaming compression into a standard zstd stream (what `zstd` / `zstdcat` read): feed input
/// with ``compress(_:)`` and take what is ready; ``finish()`` ends the frame. Not thread-safe.
public final class ZstdStreamCompressor {
    private let context: OpaquePointer
    private var buffer: [UInt8]

    public init(level: Int32 = 3) throws {
        guard let context = ZSTD_createCCtx() else { throw ZstdError("ZSTD_createCCtx failed") }
        self.context = context
        self.buffer = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "ZSTD_CCtx_setParameter")
        try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "ZSTD_CCtx_setParameter")
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input`; returns the compressed bytes ready so far (often none).
    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { try run($0, end: false) }
    }

    /// Ends the stream; returns the remaining compressed bytes.
    public func finish() throws -> [UInt8] {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), end: true)
    }

    private func run(_ input: UnsafeRawBufferPointer, end: Bool) throws -> [UInt8] {
        var output: [UInt8] = []
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let capacity = buffer.count
        while true {
            let (remaining, produced) = try buffer.withUnsafeMutableBytes { bytes -> (Int, Int) in
                var target = ZSTD_outBuffer(dst: bytes.baseAddress, size: capacity, pos: 0)
                let code = ZSTD_compressStream2(context, &target, &source, end ? ZSTD_e_end : ZSTD_e_continue)
                return (try ZstdError.check(code, "ZSTD_compressStream2"), target.pos)
            }
            output.append(contentsOf: buffer[0..<produced])
            if end ? remaining == 0 : source.pos == source.size { return output }
        }
    }
}

/// Streaming decompression of a zstd stream (one or more frames) in bounded steps: feed
/// compressed bytes, receive decompressed ones. Corrupt input and checksum failures throw;
/// ``finish()`` throws when the stream stopped inside a frame (a truncated file).
public final class ZstdStreamDecompressor {
    private let context: OpaquePointer
    private var buffer: [UInt8]
    /// Whether the last call ended exactly at a frame boundary.
    private var atFrameBoundary = true

    public init() throws {
        guard let context = ZSTD_createDCtx() else { throw ZstdError("ZSTD_createDCtx failed") }
        self.context = context
        self.buffer = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        // A window over 128 MiB is refused instead of allocated.
        try ZstdError.check(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27), "ZSTD_DCtx_setParameter")
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `input`, handing the output to `sink` in pieces of at most ~128 KiB.
    public func decompress(_ input: UnsafeRawBufferPointer, _ sink: (ArraySlice<UInt8>) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let capacity = buffer.count
        while source.pos < source.size || !atFrameBoundary {
            let (hint, produced) = try buffer.withUnsafeMutableBytes { bytes -> (Int, Int) in
                var target = ZSTD_outBuffer(dst: bytes.baseAddress, size: capacity, pos: 0)
                let code = ZSTD_decompressStream(context, &target, &source)
                return (try ZstdError.check(code, "ZSTD_decompressStream"), target.pos)
            }
            atFrameBoundary = hint == 0
            if produced > 0 { try sink(buffer[0..<produced]) }
            // Nothing produced and all input consumed: more input is needed.
            if produced == 0 && source.pos == source.size { break }
        }
    }

    /// Throws if the input ended inside a frame.
    public func finish() throws {
        guard atFrameBoundary else { throw ZstdError("the zstd stream is truncated (it ends inside a frame)") }
    }
}
