import CZstd

/// A trained zstd dictionary, digested for compression and decompression. Immutable and
/// thread-safe: many contexts may use it at once.
public final class ZstdDictionary: @unchecked Sendable {
    // Unchecked: CDict and DDict are read-only after creation and documented as shareable.
    public let id: UInt32
    public let bytes: [UInt8]
    let compression: OpaquePointer
    let decompression: OpaquePointer

    /// Digests `bytes` (a dictionary from ``train(samples:capacity:)`` or any zstd dictionary)
    /// for compression at `level`. Throws when the bytes are not a usable dictionary.
    public init(bytes: [UInt8], level: Int32 = 3) throws {
        let id = bytes.withUnsafeBytes { ZDICT_getDictID($0.baseAddress, $0.count) }
        guard id != 0 else { throw ZstdError("not a zstd dictionary (no dictionary id)") }
        guard let compression = bytes.withUnsafeBytes({ ZSTD_createCDict($0.baseAddress, $0.count, level) }) else {
            throw ZstdError("ZSTD_createCDict failed")
        }
        guard let decompression = bytes.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) }) else {
            ZSTD_freeCDict(compression)
            throw ZstdError("ZSTD_createDDict failed")
        }
        self.id = id
        self.bytes = bytes
        self.compression = compression
        self.decompression = decompression
    }

    deinit {
        ZSTD_freeCDict(compression)
        ZSTD_freeDDict(decompression)
    }

    /// Trains a dictionary of at most `capacity` bytes from `samples` (ZDICT). Needs a few
    /// hundred samples of the kind of data to compress; throws when training fails (too few or
    /// too uniform samples).
    public static func train(samples: [[UInt8]], capacity: Int = 64 * 1024) throws -> [UInt8] {
        guard !samples.isEmpty else { throw ZstdError("no samples to train a dictionary from") }
        let joined = samples.flatMap { $0 }
        let sizes = samples.map { Int($0.count) }
        var dictionary = [UInt8](repeating: 0, count: capacity)
        let size = try dictionary.withUnsafeMutableBytes { dictionaryBytes in
            try joined.withUnsafeBytes { sampleBytes in
                try sizes.withUnsafeBufferPointer { sizeBuffer in
                    try ZstdError.check(
                        ZDICT_trainFromBuffer(
                            dictionaryBytes.baseAddress, dictionaryBytes.count, sampleBytes.baseAddress,
                            sizeBuffer.baseAddress, UInt32(sizeBuffer.count)),
                        "ZDICT_trainFromBuffer")
                }
            }
        }
        dictionary.removeSubrange(size...)
        return dictionary
    }
}
