import Synchronization

/// Keeps compression and decompression contexts for reuse across threads (creating a context
/// costs an allocation of hundreds of KiB). A context is used by one caller at a time.
public final class ZstdContextPool: Sendable {
    private let compressors: Mutex<[ZstdCompressorBox]> = Mutex([])
    private let decompressors: Mutex<[ZstdDecompressorBox]> = Mutex([])
    public let level: Int32
    public let capacity: Int

    /// - Parameters:
    ///   - level: compression level of pooled compressors.
    ///   - capacity: contexts of each kind kept for reuse; more may exist while busy.
    public init(level: Int32 = 3, capacity: Int = 8) {
        self.level = level
        self.capacity = capacity
    }

    public func withCompressor<R>(_ body: (ZstdCompressor) throws -> R) throws -> R {
        let box = try compressors.withLock { $0.popLast() } ?? ZstdCompressorBox(ZstdCompressor(level: level))
        defer { compressors.withLock { if $0.count < capacity { $0.append(box) } } }
        return try body(box.compressor)
    }

    public func withDecompressor<R>(_ body: (ZstdDecompressor) throws -> R) throws -> R {
        let box = try decompressors.withLock { $0.popLast() } ?? ZstdDecompressorBox(ZstdDecompressor())
        defer { decompressors.withLock { if $0.count < capacity { $0.append(box) } } }
        return try body(box.decompressor)
    }
}

/// Moves a context between threads; only one holder uses it at a time (the pool's discipline).
private final class ZstdCompressorBox: @unchecked Sendable {
    let compressor: ZstdCompressor
    init(_ compressor: ZstdCompressor) { self.compressor = compressor }
}

private final class ZstdDecompressorBox: @unchecked Sendable {
    let decompressor: ZstdDecompressor
    init(_ decompressor: ZstdDecompressor) { self.decompressor = decompressor }
}
