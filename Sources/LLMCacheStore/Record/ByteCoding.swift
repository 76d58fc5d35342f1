/// Appends little-endian integers and length-prefixed bytes.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(contentsOf data: some Collection<UInt8>) { bytes.append(contentsOf: data) }
}

/// Reads what `ByteWriter` wrote, checking every bound: running past the end is an error.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(RecordError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw RecordError("record ends early (needed \(size) bytes at \(offset))") }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func readBytes(_ count: Int) throws(RecordError) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else {
            throw RecordError("record ends early (needed \(count) bytes at \(offset))")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func readString(_ count: Int) throws(RecordError) -> String {
        let raw = try readBytes(count)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw RecordError("record holds invalid UTF-8 at \(offset - count)")
        }
        return text
    }
}
